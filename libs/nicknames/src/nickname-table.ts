import { foldName } from '@refinery/contacts';
import { parse } from 'csv-parse/sync';

const EXPECTED_HEADER = ['name1', 'relationship', 'name2'] as const;
const NO_VARIANTS: ReadonlySet<string> = new Set();

// A name and its directly related names, both ways. The source only lists canonical -> nickname,
// but a contact book says "Bob" as often as the provider says "Robert", so look-ups go both ways.
export class NicknameTable {
  readonly size: number;
  private readonly variantsByName: ReadonlyMap<string, ReadonlySet<string>>;

  private constructor(variantsByName: ReadonlyMap<string, ReadonlySet<string>>) {
    this.variantsByName = variantsByName;
    this.size = variantsByName.size;
  }

  static fromPairs(pairs: Iterable<readonly [string, string]>): NicknameTable {
    const variants = new Map<string, Set<string>>();
    const relate = (from: string, to: string): void => {
      let set = variants.get(from);
      if (set === undefined) {
        set = new Set();
        variants.set(from, set);
      }
      set.add(to);
    };
    for (const [first, second] of pairs) {
      const name = foldName(first);
      const nickname = foldName(second);
      // A name is never its own variant, and a blank cell relates nothing.
      if (name === '' || nickname === '' || name === nickname) {
        continue;
      }
      relate(name, nickname);
      relate(nickname, name);
    }
    return new NicknameTable(variants);
  }

  // Header name1,relationship,name2; CRLF or LF; every relationship is has_nickname.
  static fromCsv(text: string): NicknameTable {
    const rows = parse(text, { bom: true, skip_empty_lines: true, trim: true }) as string[][];
    const [header, ...body] = rows;
    if (header === undefined || EXPECTED_HEADER.some((column, index) => header[index]?.toLowerCase() !== column)) {
      throw new Error(`nickname table: expected header "${EXPECTED_HEADER.join(',')}", found "${(header ?? []).join(',')}"`);
    }
    const pairs: [string, string][] = [];
    body.forEach((row, index) => {
      const [name, relationship, nickname] = row;
      if (relationship !== 'has_nickname' || name === undefined || nickname === undefined) {
        throw new Error(`nickname table line ${index + 2}: expected "name,has_nickname,nickname", found "${row.join(',')}"`);
      }
      pairs.push([name, nickname]);
    });
    return NicknameTable.fromPairs(pairs);
  }

  variantsOf(name: string): ReadonlySet<string> {
    return this.variantsByName.get(foldName(name)) ?? NO_VARIANTS;
  }

  *entries(): IterableIterator<[string, readonly string[]]> {
    for (const [name, variants] of this.variantsByName) {
      yield [name, [...variants].sort()];
    }
  }
}
