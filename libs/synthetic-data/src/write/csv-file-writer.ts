import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { csvRecord } from './csv-record';

const RECORDS_PER_WRITE = 1_000;

/**
 * Appends CSV records to a file in batches, waiting whenever the stream's buffer is full so memory stays
 * bounded however many rows go through.
 */
export class CsvFileWriter {
  private readonly stream: WriteStream;
  private batch = '';
  private batchedRecords = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { encoding: 'utf8' });
  }

  async write(record: readonly string[]): Promise<void> {
    this.batch += csvRecord(record);
    this.batchedRecords++;
    if (this.batchedRecords >= RECORDS_PER_WRITE) {
      await this.flush();
    }
  }

  async close(): Promise<void> {
    await this.flush();
    const finished = once(this.stream, 'finish');
    this.stream.end();
    await finished;
  }

  /** Closes the file after a failure without waiting for pending data. */
  destroy(): void {
    this.stream.destroy();
  }

  private async flush(): Promise<void> {
    if (this.batchedRecords === 0) {
      return;
    }
    const text = this.batch;
    this.batch = '';
    this.batchedRecords = 0;
    if (!this.stream.write(text)) {
      await once(this.stream, 'drain');
    }
  }
}
