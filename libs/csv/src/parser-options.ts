import type { Options } from 'csv-parse';
import { latin1ToWindows1252 } from './decode';
import type { CsvFormat } from './types';

/**
 * The one csv-parse configuration of this package; RecordScanner implements the same rules.
 * Record delimiters are fixed to CRLF and LF because csv-parse would otherwise guess them from the
 * first line break it meets, and could pick a bare CR.
 */
export function parserOptions(format: CsvFormat): Options {
  return {
    delimiter: format.delimiter,
    record_delimiter: ['\r\n', '\n'],
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    bom: false,
    // csv-parse only knows Node's Buffer encodings; Latin-1 keeps one char per byte so windows-1252 can be fixed up.
    encoding: format.encoding === 'utf-8' ? 'utf8' : 'latin1',
  };
}

export function finishRecord(record: string[], format: CsvFormat): string[] {
  return format.encoding === 'utf-8' ? record : record.map(latin1ToWindows1252);
}
