// The results of a pure function of one string, kept up to `limit` keys and then all forgotten at once (a clear is
// cheaper than tracking which key was used last, and the values worth keeping come back within a few rows).
export class BoundedMemo<V> {
  private readonly values = new Map<string, V>();

  constructor(
    private readonly compute: (key: string) => V,
    readonly limit: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`a BoundedMemo keeps at least one key (given ${limit})`);
  }

  get size(): number {
    return this.values.size;
  }

  get(key: string): V {
    // One look-up for a value kept (each is a hash and a comparison of the key's text); has() only when get() answers
    // undefined, which a computed value may itself be.
    const kept = this.values.get(key);
    if (kept !== undefined || this.values.has(key)) return kept as V;
    const value = this.compute(key);
    if (this.values.size >= this.limit) this.values.clear();
    this.values.set(key, value);
    return value;
  }
}
