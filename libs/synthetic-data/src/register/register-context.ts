import { type DatasetOptions, REGISTER_ROW_KINDS, type RegisterRowKind, resolveRegisterMix, validateOptions } from '../options';
import { WeightedTable } from '../random/weighted-table';
import { type PhoneSpace, phoneSpaceFor } from '../values/phones';

/** What every register row needs to know about the data set it belongs to. */
export interface RegisterContext {
  seed: number;
  directorySize: number;
  kinds: WeightedTable<RegisterRowKind>;
  /** Outside values (strangers, look-alikes) are drawn with the CRM helpers, which also make phones. */
  phones: PhoneSpace;
}

export function createRegisterContext(options: DatasetOptions): RegisterContext {
  validateOptions(options);
  const mix = resolveRegisterMix(options.mix);
  return {
    seed: options.seed,
    directorySize: options.directorySize,
    kinds: new WeightedTable(REGISTER_ROW_KINDS.map((kind) => [kind, mix[kind]] as const)),
    phones: phoneSpaceFor(options.seed),
  };
}
