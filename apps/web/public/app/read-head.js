// The start of a file, as text, for POST /column-mappings/preview: the first 64 KiB (the same amount ingest reads to
// check an upload), decoded as UTF-8, or as Windows-1252 when it is not valid UTF-8 (as ingest reads it).

export const HEAD_BYTES = 64 * 1024;

/**
 * @param {Blob} file
 * @returns {Promise<{ head: string, complete: boolean }>}
 */
export async function readHead(file) {
  const bytes = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  const complete = file.size <= HEAD_BYTES;
  return { head: decode(bytes, complete), complete };
}

/**
 * @param {Uint8Array} bytes
 * @param {boolean} complete
 */
function decode(bytes, complete) {
  // A cut in the middle of a multi-byte character at the end of the slice is not an encoding error.
  const cuts = complete ? [0] : [0, 1, 2, 3];
  for (const cut of cuts) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, bytes.length - cut));
    } catch {
      // try a shorter slice, then the other encoding
    }
  }
  return new TextDecoder('windows-1252').decode(bytes);
}
