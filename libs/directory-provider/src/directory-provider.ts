import type { Readable } from 'node:stream';
import type { ContactFields, StandardizeOptions } from '@refinery/contacts';
import type { Candidate, ContactProvider, NicknameLookup } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';
import { DirectoryIndex, type DirectoryIndexOptions, type SharedDirectory } from './directory-index';
import { readDirectory, readDirectoryStream } from './read-directory';

export interface DirectoryProviderOptions extends StandardizeOptions {
  // Defaults to the bundled nickname table.
  nicknames?: NicknameLookup;
  // Longest candidate list per contact; default 10.
  maxCandidates?: number;
  // Surname, phonetic and prefix blocks larger than this are skipped; default 1,000.
  maxBucketScan?: number;
  // People this provider keeps made into candidates once a look-up returned them; default all (each is made once). A
  // thread that shares the directory with others may keep fewer, to hold less memory, and make the rest again.
  keptPeople?: number;
}

const DEFAULT_MAX_CANDIDATES = 10;
const DEFAULT_MAX_BUCKET_SCAN = 1000;

function indexOptions(options: DirectoryProviderOptions): DirectoryIndexOptions {
  return {
    nicknames: options.nicknames ?? loadBundledNicknames(),
    maxCandidates: options.maxCandidates ?? DEFAULT_MAX_CANDIDATES,
    maxBucketScan: options.maxBucketScan ?? DEFAULT_MAX_BUCKET_SCAN,
    ...(options.keptPeople === undefined ? {} : { keptPeople: options.keptPeople }),
  };
}

function indexFor(options: DirectoryProviderOptions): DirectoryIndex {
  return new DirectoryIndex(indexOptions(options));
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

  /**
   * The loaded directory as shared memory (SharedArrayBuffers): given to another thread (workerData, postMessage), which
   * shares it rather than copies it, and reads it with `fromShared`. Standardizing options are the loader's; the
   * look-up's (nicknames, maxCandidates, maxBucketScan, keptPeople) are each reader's own.
   */
  shared(): SharedDirectory {
    return this.index.shared();
  }

  static fromShared(shared: SharedDirectory, options: DirectoryProviderOptions = {}): DirectoryProvider {
    return new DirectoryProvider(DirectoryIndex.fromShared(shared, indexOptions(options)));
  }

  candidatesFor(contact: ContactFields): Candidate[] {
    return this.index.candidatesFor(contact);
  }

  async findCandidates(contacts: readonly ContactFields[]): Promise<Candidate[][]> {
    return contacts.map((contact) => this.index.candidatesFor(contact));
  }
}
