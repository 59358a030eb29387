import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Logger, MachineFaultError, silentLogger } from '@refinery/runtime';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files';

/** What is wrong with the data dir: no room left to write, or no right to write at all. */
export type StorageFaultKind = 'full' | 'read-only';

// Error codes of a write that fails because of the machine, not because of what was written: the file system's
// (ENOSPC, EDQUOT: a full disk or quota; EROFS: mounted read-only; EACCES, EPERM: no write permission) and SQLite's
// (SQLITE_FULL for either of the first two; SQLITE_READONLY and its extended codes for the others).
const FULL_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const READ_ONLY_CODES: ReadonlySet<string> = new Set(['EROFS', 'EACCES', 'EPERM']);

const CODE_MEANINGS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  SQLITE_FULL: 'database or disk is full',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/**
 * The storage fault an error of a write in the data dir stands for, if any: looks through wrapped causes (a
 * DataDirFaultError already says which). Only for errors of writes: EACCES from a socket is not a full disk.
 */
export function storageFaultOf(error: unknown): { kind: StorageFaultKind; code: string } | undefined {
  let current: unknown = error;
  // Not `instanceof Error`: errors of Node's own modules may come from another realm (a VM context, as under Jest).
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    if (current instanceof DataDirFaultError) return { kind: current.kind, code: current.code };
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (FULL_CODES.has(code)) return { kind: 'full', code };
      if (READ_ONLY_CODES.has(code) || code.startsWith('SQLITE_READONLY')) return { kind: 'read-only', code };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The error that says why a write under `dir` failed. Some failures hide the storage fault behind them — Node's
 * recursive mkdir answers ENOENT on a read-only file system — so an error that is not one is checked against the
 * nearest existing folder's write permission, and that answer (EROFS, EACCES) is returned when it is one.
 */
export function explainWriteError(error: unknown, dir: string): unknown {
  if (storageFaultOf(error) || typeof (error as { syscall?: unknown } | null)?.syscall !== 'string') return error;
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    accessSync(existing, constants.W_OK);
  } catch (accessError) {
    if (storageFaultOf(accessError)) return accessError;
  }
  return error;
}

/**
 * A write to the data dir failed because the disk is full or the data dir cannot be written. It is a MachineFaultError:
 * the handler that meets it does not count the delivery as an attempt, and the local runtime pauses work until the
 * data dir can be written again. The message says what, where and what to do.
 */
export class DataDirFaultError extends MachineFaultError {
  override readonly name = 'DataDirFaultError';

  constructor(
    readonly kind: StorageFaultKind,
    readonly code: string,
    readonly dataDir: string,
    options?: { cause?: unknown },
  ) {
    super(`${describeStorageFault(kind, code, dataDir)}; ${storageFaultAdvice(kind, 'paused')}`, options);
  }
}

/** "no space left in the data dir /x (ENOSPC: no space left on device)": what is wrong, and where. */
export function describeStorageFault(kind: StorageFaultKind, code: string, dataDir: string): string {
  const meaning = CODE_MEANINGS[code] ?? (code.startsWith('SQLITE_READONLY') ? 'read-only database' : undefined);
  const cause = meaning ? `${code}: ${meaning}` : code;
  return kind === 'full' ? `no space left in the data dir ${dataDir} (${cause})` : `the data dir ${dataDir} cannot be written (${cause})`;
}

/**
 * What to do about a fault: free space, or make the data dir writable; then either nothing more (a server pauses and
 * resumes by itself: 'paused') or run the same command again (a command that stopped: 'rerun').
 */
export function storageFaultAdvice(kind: StorageFaultKind, then: 'paused' | 'rerun'): string {
  const fix = kind === 'full' ? 'free space there' : 'make it writable (remount it read-write, or give this user write permission)';
  return then === 'paused'
    ? `${fix}: work is paused, nothing is lost, and it resumes by itself once it can write`
    : `${fix} and run the same command again: nothing is lost, the work resumes where it stopped`;
}

export interface StorageFault {
  readonly kind: StorageFaultKind;
  readonly code: string;
  readonly dataDir: string;
  /** When the data dir stopped taking writes (the first fault of the episode). */
  readonly since: Date;
  /** The error the writes get: its message says what, where and what to do. */
  readonly error: DataDirFaultError;
}

/**
 * A change of the data dir's health: the fault that pauses work, or undefined when work resumes. `repeated`: the fault
 * came back soon after a resume (same episode, already told).
 */
export type StorageHealthListener = (fault: StorageFault | undefined, repeated: boolean) => void;

export interface StorageHealthOptions {
  readonly dataDir: string;
  readonly logger?: Logger;
  /**
   * Tries a write of every kind the runtime makes (files, SQLite) and throws when one fails. Default: a file of
   * PROBE_BYTES in the data dir and in its objects' temporary folder.
   */
  readonly probe?: () => void;
  /** The first wait before trying to write again, then doubled after every failed try up to `maxRetryMs`. */
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
}

/** Room a probe asks for: a write that large succeeding means work can likely go on (a chunk is rarely larger). */
export const PROBE_BYTES = 1024 * 1024;
/** A fault within this long after the last one ended is the same episode: it is not logged again. */
const EPISODE_GAP_MS = 60_000;
const DEFAULT_FIRST_RETRY_MS = 1000;
const DEFAULT_MAX_RETRY_MS = 30_000;

/**
 * Whether the data dir takes writes. Every write path of the local runtime reports its failures here (`report`); the
 * first storage fault pauses the runtime (pollers stop receiving, schedules skip their runs) and is logged once, as
 * one error line with what to do. While paused, a probe tries to write with a slow backoff (1 s doubling to 30 s); the
 * first probe that succeeds ends the pause and work resumes by itself. Nothing here ever writes to the log file's
 * disk in a loop: faults met again during a pause are not logged again.
 */
export class StorageHealth {
  private current: StorageFault | undefined;
  private faults = 0;
  private lastEndedAt = Number.NEGATIVE_INFINITY;
  private retryMs: number;
  private timer: NodeJS.Timeout | undefined;
  private waiting: (() => void)[] = [];
  private readonly listeners = new Set<StorageHealthListener>();
  private readonly logger: Logger;

  constructor(private readonly options: StorageHealthOptions) {
    this.logger = options.logger ?? silentLogger;
    this.retryMs = options.firstRetryMs ?? DEFAULT_FIRST_RETRY_MS;
  }

  /** The fault that pauses work now, if any. */
  get fault(): StorageFault | undefined {
    return this.current;
  }

  /** How many storage faults were reported so far: a poller compares it before and after an invocation. */
  get faultsReported(): number {
    return this.faults;
  }

  /**
   * Classifies the error of a failed write. A storage fault pauses work (logged at the first of an episode) and comes
   * back as the DataDirFaultError to throw instead of the raw error; anything else comes back undefined.
   */
  report(error: unknown, where?: string): DataDirFaultError | undefined {
    const found = storageFaultOf(where === undefined ? error : explainWriteError(error, where));
    if (!found) return undefined;
    this.faults += 1;
    if (this.current) return this.current.error;
    const fault: StorageFault = {
      kind: found.kind,
      code: found.code,
      dataDir: this.options.dataDir,
      since: new Date(),
      error: error instanceof DataDirFaultError ? error : new DataDirFaultError(found.kind, found.code, this.options.dataDir, { cause: error }),
    };
    this.current = fault;
    const sameEpisode = Date.now() - this.lastEndedAt < EPISODE_GAP_MS;
    if (sameEpisode) {
      // Writes succeeded for a moment, then failed again (the probe fitted, a larger write did not): wait longer.
      this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS);
    } else {
      this.retryMs = this.options.firstRetryMs ?? DEFAULT_FIRST_RETRY_MS;
      this.logger.error(
        { dataDir: fault.dataDir, code: fault.code, storageFault: fault.kind, err: error },
        `${describeStorageFault(fault.kind, fault.code, fault.dataDir)}; ${storageFaultAdvice(fault.kind, 'paused')}`,
      );
    }
    this.scheduleProbe();
    for (const listener of this.listeners) listener(fault, sameEpisode);
    return fault.error;
  }

  /** Runs a synchronous write; a storage fault it meets is reported and thrown as a DataDirFaultError. */
  guard<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      throw this.report(error) ?? error;
    }
  }

  /** Hears each change: a fault when work pauses, undefined when it resumes. */
  onChange(listener: StorageHealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the data dir takes writes again (at once when it does), or when `stop` is called. */
  whenWritable(): Promise<void> {
    if (!this.current) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Tries to write now; ends the pause when it succeeds. True when the data dir takes writes. */
  probeNow(): boolean {
    if (!this.current) return true;
    try {
      (this.options.probe ?? (() => probeWritable(this.options.dataDir)))();
    } catch (error) {
      if (!storageFaultOf(error)) this.logger.warn({ err: error }, 'the data dir write probe failed for another reason; trying again later');
      this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS);
      this.scheduleProbe();
      return false;
    }
    const ended = this.current;
    this.current = undefined;
    this.lastEndedAt = Date.now();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.logger.info(
      { dataDir: ended.dataDir, storageFault: ended.kind, pausedMs: Date.now() - ended.since.getTime() },
      `the data dir ${ended.dataDir} takes writes again; work resumes`,
    );
    this.release();
    for (const listener of this.listeners) listener(undefined, false);
    return true;
  }

  /** Stops probing and lets whoever waits go (shutdown). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.release();
  }

  private release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  private scheduleProbe(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.probeNow();
    }, this.retryMs);
    // A pause must not keep a stopping process alive.
    this.timer.unref();
  }
}

/**
 * Writes and removes a file of PROBE_BYTES in the data dir and in the object store's temporary folder (the two places
 * writes go; `objects/` may be another mount). Throws what the write threw.
 */
export function probeWritable(dataDir: string, bytes = PROBE_BYTES): void {
  const block = Buffer.alloc(bytes);
  for (const dir of [dataDir, join(dataDir, 'objects', '.tmp')]) {
    const path = join(dir, `.write-probe-${process.pid}`);
    try {
      // Private like everything in the data dir: the probe may be the first to create objects/.tmp.
      mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      writeFileSync(path, block, { mode: PRIVATE_FILE_MODE });
    } catch (error) {
      throw explainWriteError(error, dir);
    } finally {
      rmSync(path, { force: true });
    }
  }
}
