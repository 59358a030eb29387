import { CANONICAL_FIELDS, type ContactFields } from '@refinery/contacts';
import { type Candidate, prepareCandidate } from '@refinery/matching';

/**
 * The directory's people as plain memory, not objects: every distinct text once, in one byte array, and each person as
 * a run of (what, text) entries. Held on SharedArrayBuffers, so the worker threads that match read the one copy the
 * loading thread wrote (structured cloning shares a SharedArrayBuffer instead of copying it); a look-up makes the few
 * people it returns into candidates (PeopleCache), which V8's collections then never have to mark a whole directory of.
 */
export interface SharedPeople {
  readonly count: number;
  /** The texts, each as latin1 bytes, or as UTF-16 code units when one is above U+00FF (`wide`): exact round trips. */
  readonly textBytes: Uint8Array;
  /** Text t is textBytes[textStarts[t] .. textStarts[t + 1]). */
  readonly textStarts: Int32Array;
  readonly textWide: Uint8Array;
  /** 1 for a text that more than one entry names ("CA", common names): a thread keeps it once it has read it. */
  readonly textRepeated: Uint8Array;
  /** Person p's entries are entryStarts[p] .. entryStarts[p + 1]: its id, its updatedAt if any, then its fields in their order. */
  readonly entryStarts: Int32Array;
  /** What each entry is: a field's position in CANONICAL_FIELDS, or ID_ENTRY, UPDATED_AT_ENTRY. */
  readonly entryKinds: Uint8Array;
  readonly entryTexts: Int32Array;
}

const ID_ENTRY = 255;
const UPDATED_AT_ENTRY = 254;
const FIELD_POSITIONS = new Map<string, number>(CANONICAL_FIELDS.map((field, position) => [field, position]));

/** A typed array on a SharedArrayBuffer, with `values` copied in. */
export function sharedInt32(values: Int32Array, length = values.length): Int32Array {
  const shared = new Int32Array(new SharedArrayBuffer(Math.max(length, 1) * Int32Array.BYTES_PER_ELEMENT), 0, length);
  shared.set(values.subarray(0, length));
  return shared;
}

function sharedUint8(values: Uint8Array, length = values.length): Uint8Array {
  const shared = new Uint8Array(new SharedArrayBuffer(Math.max(length, 1)), 0, length);
  shared.set(values.subarray(0, length));
  return shared;
}

function grownInt32(array: Int32Array<ArrayBuffer>, needed: number): Int32Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  const grown = new Int32Array(Math.max(needed, array.length * 2));
  grown.set(array);
  return grown;
}

function grownUint8(array: Uint8Array<ArrayBuffer>, needed: number): Uint8Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  const grown = new Uint8Array(Math.max(needed, array.length * 2));
  grown.set(array);
  return grown;
}

/** Collects people as they load; `seal` writes them to shared memory. */
export class PeopleTableBuilder {
  private readonly textIds = new Map<string, number>();
  private textBytes = new Uint8Array(1 << 16);
  private byteCount = 0;
  private textStarts = new Int32Array(1 << 14);
  private textWide = new Uint8Array(1 << 14);
  private textUses = new Int32Array(1 << 14);
  private entryStarts = new Int32Array(1 << 12);
  private entryKinds = new Uint8Array(1 << 16);
  private entryTexts = new Int32Array(1 << 16);
  private entryCount = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Appends a candidate: its id, updatedAt and fields (in their own order), as they are — standardized already. */
  add(candidate: Candidate): void {
    this.entryStarts = grownInt32(this.entryStarts, this.count + 2);
    this.entryStarts[this.count] = this.entryCount;
    this.entry(ID_ENTRY, candidate.id);
    if (candidate.updatedAt !== undefined) this.entry(UPDATED_AT_ENTRY, candidate.updatedAt);
    const fields = candidate.fields as Record<string, string | undefined>;
    for (const field of Object.keys(fields)) {
      const value = fields[field];
      const position = FIELD_POSITIONS.get(field);
      // Standardized fields are canonical and strings; anything else would not survive the table, so it is refused.
      if (position === undefined || typeof value !== 'string') {
        throw new Error(`directory person "${candidate.id}": field "${field}" is not a standardized text field`);
      }
      this.entry(position, value);
    }
    this.count += 1;
    this.entryStarts[this.count] = this.entryCount;
  }

  seal(): SharedPeople {
    const texts = this.textIds.size;
    const repeated = new Uint8Array(texts);
    for (let text = 0; text < texts; text += 1) repeated[text] = (this.textUses[text] ?? 0) > 1 ? 1 : 0;
    this.textStarts[texts] = this.byteCount;
    return {
      count: this.count,
      textBytes: sharedUint8(this.textBytes, this.byteCount),
      textStarts: sharedInt32(this.textStarts, texts + 1),
      textWide: sharedUint8(this.textWide, texts),
      textRepeated: sharedUint8(repeated),
      entryStarts: sharedInt32(this.entryStarts, this.count + 1),
      entryKinds: sharedUint8(this.entryKinds, this.entryCount),
      entryTexts: sharedInt32(this.entryTexts, this.entryCount),
    };
  }

  private entry(kind: number, value: string): void {
    this.entryKinds = grownUint8(this.entryKinds, this.entryCount + 1);
    this.entryTexts = grownInt32(this.entryTexts, this.entryCount + 1);
    const text = this.textId(value);
    this.textUses[text] = (this.textUses[text] ?? 0) + 1;
    this.entryKinds[this.entryCount] = kind;
    this.entryTexts[this.entryCount] = text;
    this.entryCount += 1;
  }

  private textId(value: string): number {
    const known = this.textIds.get(value);
    if (known !== undefined) return known;
    const text = this.textIds.size;
    this.textIds.set(value, text);
    this.textStarts = grownInt32(this.textStarts, text + 2);
    this.textWide = grownUint8(this.textWide, text + 1);
    this.textUses = grownInt32(this.textUses, text + 1);
    let wide = false;
    for (let at = 0; at < value.length; at += 1) {
      if (value.charCodeAt(at) > 0xff) {
        wide = true;
        break;
      }
    }
    const width = wide ? 2 : 1;
    this.textBytes = grownUint8(this.textBytes, this.byteCount + value.length * width);
    this.textStarts[text] = this.byteCount;
    this.textWide[text] = wide ? 1 : 0;
    let at = this.byteCount;
    for (let index = 0; index < value.length; index += 1) {
      const unit = value.charCodeAt(index);
      if (wide) {
        this.textBytes[at] = unit & 0xff;
        this.textBytes[at + 1] = unit >>> 8;
        at += 2;
      } else {
        this.textBytes[at] = unit;
        at += 1;
      }
    }
    this.byteCount = at;
    return text;
  }
}

/**
 * One thread's candidates made from the shared people: each person made (and its comparable form built, by
 * prepareCandidate) when a look-up first returns them, and kept for the next look-ups, up to `limit` people; past it the
 * person kept longest is let go first. Texts that several people share are kept once decoded, as one string.
 */
export class PeopleCache {
  // Where person p is kept in `kept` (-1: not kept): 4 bytes a person rather than a slot in an array of objects.
  private readonly keptAt: Int32Array;
  private readonly kept: Candidate[] = [];
  private readonly keptPeople: Int32Array;
  // The next place of `kept` to reuse once it is full: the person kept longest.
  private oldest = 0;
  // Where text t is in `texts` (-1: not decoded yet); only repeated texts are kept.
  private readonly textAt: Int32Array;
  private readonly texts: string[] = [];
  private readonly bytes: Buffer;
  private readonly limit: number;

  constructor(
    private readonly shared: SharedPeople,
    limit: number,
  ) {
    this.limit = Math.max(0, Math.min(limit, shared.count));
    this.keptAt = new Int32Array(shared.count).fill(-1);
    this.keptPeople = new Int32Array(this.limit);
    this.textAt = new Int32Array(shared.textStarts.length).fill(-1);
    this.bytes = Buffer.from(shared.textBytes.buffer, shared.textBytes.byteOffset, shared.textBytes.length);
  }

  candidate(person: number): Candidate {
    const at = this.keptAt[person] ?? -1;
    if (at >= 0) return this.kept[at] as Candidate;
    const made = this.make(person);
    if (this.limit === 0) return made;
    if (this.kept.length < this.limit) {
      this.keptAt[person] = this.kept.length;
      this.keptPeople[this.kept.length] = person;
      this.kept.push(made);
    } else {
      const place = this.oldest;
      this.keptAt[this.keptPeople[place] ?? 0] = -1;
      this.keptAt[person] = place;
      this.keptPeople[place] = person;
      this.kept[place] = made;
      this.oldest = place + 1 === this.limit ? 0 : place + 1;
    }
    return made;
  }

  private make(person: number): Candidate {
    const { entryStarts, entryKinds, entryTexts } = this.shared;
    const end = entryStarts[person + 1] ?? 0;
    let id = '';
    let updatedAt: string | undefined;
    const fields: Record<string, string> = {};
    for (let entry = entryStarts[person] ?? 0; entry < end; entry += 1) {
      const kind = entryKinds[entry] ?? 0;
      const value = this.text(entryTexts[entry] ?? 0);
      if (kind === ID_ENTRY) id = value;
      else if (kind === UPDATED_AT_ENTRY) updatedAt = value;
      else fields[CANONICAL_FIELDS[kind] as string] = value;
    }
    return prepareCandidate(updatedAt === undefined ? { id, fields: fields as ContactFields } : { id, fields: fields as ContactFields, updatedAt });
  }

  private text(text: number): string {
    const at = this.textAt[text] ?? -1;
    if (at >= 0) return this.texts[at] as string;
    const { textStarts, textWide, textRepeated } = this.shared;
    const start = textStarts[text] ?? 0;
    const end = textStarts[text + 1] ?? 0;
    const value = textWide[text] === 1 ? this.bytes.toString('utf16le', start, end) : this.bytes.toString('latin1', start, end);
    if (textRepeated[text] === 1) {
      this.textAt[text] = this.texts.length;
      this.texts.push(value);
    }
    return value;
  }
}
