export { CsvFormatError } from './errors';
export { parseCsvRecords } from './parse';
export { planChunks } from './plan';
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
export { formatCsvRecord, formatPlainCsvRecord, neutralizeFormula, withoutFormulaGuard } from './write';
