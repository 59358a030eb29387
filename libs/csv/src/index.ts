export { CsvFormatError } from './errors';
export { type CsvLimits, checkCsvLimits, DEFAULT_CSV_LIMITS, formatByteSize, headerProbeBytes } from './limits';
export { parseCsvRecords } from './parse';
export { planChunks } from './plan';
export { type CsvRow, describeRowProblem, type RowProblem, readCsvRows } from './rows';
export { sniffCsv } from './sniff';
export type {
  ChunkPlan,
  CsvFormat,
  CsvHeader,
  Delimiter,
  Encoding,
  PlanOptions,
  SniffFailureCode,
  SniffResult,
} from './types';
export { transcodeUtf16ToUtf8, type Utf16Encoding, utf16ByteOrder, utf16HeadToUtf8 } from './utf16';
export { formatCsvRecord, formatPlainCsvRecord, neutralizeFormula, withoutFormulaGuard } from './write';
