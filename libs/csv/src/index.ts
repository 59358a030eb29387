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
export { CsvFormatError } from './errors';
export { sniffCsv } from './sniff';
export { planChunks } from './plan';
export { parseCsvRecords } from './parse';
export { formatCsvRecord, formatPlainCsvRecord, neutralizeFormula, withoutFormulaGuard } from './write';
