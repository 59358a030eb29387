import { ingest } from '@refinery/ingest';
import { localEnrichSettings } from '../src/enrich';

describe("refinery enrich's settings for the services it runs on this machine", () => {
  const limit = ingest.settings.maxUploadBytes.default;

  it("keeps ingest's upload limit for a file within it", () => {
    expect(localEnrichSettings(1_000)).toEqual({});
    expect(localEnrichSettings(limit)).toEqual({});
  });

  it("raises it to the file's size for a larger file (a 10M-row book is about 1.3 GB), within what ingest accepts", () => {
    const tenMillionRows = 1_270_000_000;
    const settings = localEnrichSettings(tenMillionRows);
    expect(settings).toEqual({ ingest: { maxUploadBytes: tenMillionRows } });
    expect(ingest.settings.maxUploadBytes.schema.parse(tenMillionRows)).toBe(tenMillionRows);
    expect(localEnrichSettings(limit + 1)).toEqual({ ingest: { maxUploadBytes: limit + 1 } });
  });
});
