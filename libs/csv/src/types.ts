export type Delimiter = ',' | ';' | '\t' | '|';
export type Encoding = 'utf-8' | 'windows-1252';

export interface CsvFormat {
  delimiter: Delimiter;
  encoding: Encoding;
  hasBom: boolean;
}

export interface CsvHeader {
  format: CsvFormat;
  /** Header cells, trimmed, BOM removed. */
  columns: string[];
  /** Byte offset just after the header record's line terminator (where data rows begin). */
  dataStart: number;
  /** 1-based physical line number at dataStart. */
  dataStartLine: number;
}

/**
 * `header-too-long` and `too-many-columns`: the header is over the limits (CsvLimits), or not within the bytes given;
 * `utf-16`: UTF-16 text, to be transcoded to UTF-8 before it is read.
 */
export type SniffFailureCode = 'empty' | 'binary' | 'utf-16' | 'no-header' | 'unterminated-quote' | 'header-too-long' | 'too-many-columns';

export type SniffResult = { ok: true; header: CsvHeader } | { ok: false; code: SniffFailureCode; reason: string };

export interface ChunkPlan {
  /** 0-based chunk number. */
  index: number;
  /** Byte offset (inclusive) in the file. */
  start: number;
  /** Byte offset (exclusive); chunk i's end === chunk i+1's start. */
  end: number;
  /** 0-based index of the chunk's first data row in the whole file. */
  firstRow: number;
  /** Data rows in the range (blank lines are not rows). */
  rowCount: number;
  /** 1-based physical line number where the range starts. */
  firstLine: number;
}

export interface PlanOptions {
  dataStart: number;
  dataStartLine: number;
  chunkRows: number;
  maxChunkBytes?: number;
}
