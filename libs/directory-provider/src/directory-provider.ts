import type { Readable } from 'node:stream';
import type { ContactFields, StandardizeOptions } from '@refinery/contacts';
import type { Candidate, ContactProvider, NicknameLookup } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';
import { DirectoryIndex } from './directory-index';
import { readDirectory, readDirectoryStream } from './read-directory';

export interface DirectoryProviderOptions extends StandardizeOptions {
  // Defaults to the bundled nickname table.
  nicknames?: NicknameLookup;
  // Longest candidate list per contact; default 10.
  maxCandidates?: number;
  // Surname, phonetic and prefix blocks larger than this are skipped; default 1,000.
  maxBucketScan?: number;
}

const DEFAULT_MAX_CANDIDATES = 10;
const DEFAULT_MAX_BUCKET_SCAN = 1000;

function indexFor(options: DirectoryProviderOptions): DirectoryIndex {
  return new DirectoryIndex({
    nicknames: options.nicknames ?? loadBundledNicknames(),
    maxCandidates: options.maxCandidates ?? DEFAULT_MAX_CANDIDATES,
    maxBucketScan: options.maxBucketScan ?? DEFAULT_MAX_BUCKET_SCAN,
  });
}

// A data provider backed by a CSV of people, held and indexed in memory.
export class DirectoryProvider implements ContactProvider {
  readonly name: string = 'directory';
  readonly inMemory = true;

  private constructor(private readonly index: DirectoryIndex) {}

  get size(): number {
    return this.index.size;
  }

  get population(): number {
    return this.index.size;
  }

  static async fromFile(path: string, options: DirectoryProviderOptions = {}): Promise<DirectoryProvider> {
    const index = indexFor(options);
    for await (const candidate of readDirectory(path, options)) {
      index.add(candidate);
    }
    index.seal();
    return new DirectoryProvider(index);
  }

  // A directory held elsewhere (an S3 object on Lambda); `origin` names it in errors.
  static async fromStream(source: Readable, origin: string, options: DirectoryProviderOptions = {}): Promise<DirectoryProvider> {
    const index = indexFor(options);
    for await (const candidate of readDirectoryStream(source, origin, options)) {
      index.add(candidate);
    }
    index.seal();
    return new DirectoryProvider(index);
  }

  // Records must already be standardized (as fromFile does), e.g. test fixtures.
  static fromRecords(records: Iterable<Candidate>, options: DirectoryProviderOptions = {}): DirectoryProvider {
    const index = indexFor(options);
    for (const record of records) {
      index.add(record);
    }
    index.seal();
    return new DirectoryProvider(index);
  }

  candidatesFor(contact: ContactFields): Candidate[] {
    return this.index.candidatesFor(contact);
  }

  async findCandidates(contacts: readonly ContactFields[]): Promise<Candidate[][]> {
    return contacts.map((contact) => this.index.candidatesFor(contact));
  }
}
