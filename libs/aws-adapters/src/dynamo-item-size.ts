import type { AttributeValue, Item, ItemUpdate } from '@refinery/ports';

/**
 * DynamoDB's documented item size: attribute names plus values (UTF-8 strings, about one byte per two significant
 * digits of a number plus one, one byte for booleans and nulls, three bytes per list or map plus one per element).
 * An estimate for error messages and for refusing an oversized batch before any of it is written; DynamoDB decides.
 */
export function estimateItemBytes(item: Readonly<Record<string, AttributeValue | readonly string[] | undefined>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name) + valueBytes(value);
  }
  return size;
}

/** The item as an update would leave it, for the size estimate of a refused update. */
export function applyUpdateForEstimate(current: Item | undefined, key: { pk: string; sk: string }, update: ItemUpdate): Item {
  const next: Record<string, AttributeValue | undefined> = { ...(current ?? {}), ...key, ...(update.set ?? {}) };
  for (const [attribute, delta] of Object.entries(update.increment ?? {})) next[attribute] = (Number(next[attribute]) || 0) + delta;
  for (const [attribute, members] of Object.entries(update.addToSet ?? {})) {
    const existing = Array.isArray(next[attribute]) ? (next[attribute] as string[]) : [];
    next[attribute] = [...new Set([...existing, ...members])];
  }
  for (const attribute of update.remove ?? []) delete next[attribute];
  return next as Item;
}

function valueBytes(value: AttributeValue): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return numberBytes(value);
  if (Array.isArray(value)) return 3 + value.reduce<number>((sum, element: AttributeValue) => sum + 1 + valueBytes(element), 0);
  return (
    3 +
    Object.entries(value as Record<string, AttributeValue>).reduce(
      (sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueBytes(element),
      0,
    )
  );
}

function numberBytes(value: number): number {
  const digits = Math.abs(value)
    .toExponential()
    .replace(/e.*$/, '')
    .replace('.', '')
    .replace(/^0+|0+$/g, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}
