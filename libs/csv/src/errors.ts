export class CsvFormatError extends Error {
  readonly code: string;
  /** 1-based physical line the problem points at. */
  readonly line: number;

  constructor(message: string, code: string, line: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CsvFormatError';
    this.code = code;
    this.line = line;
  }
}
