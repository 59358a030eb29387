import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateFile, PRIVATE_FILE_MODE } from './private-files';

/**
 * One runtime per data dir: its pollers assume that no other process holds the queues' in-flight messages (that is
 * what lets a restart release them at once instead of waiting out their visibility timeouts).
 *
 * The lock is SQLite's own exclusive lock on a file of its own (`refinery.lock`), held by an open transaction for as
 * long as the runtime runs. SQLite takes it with the operating system's advisory locks, which the kernel releases the
 * moment the holder's files close — including when it is killed with SIGKILL, before it has even been reaped — so a
 * supervisor can restart at once. (A pid file alone cannot tell a process being torn down from a live one.) The
 * holder's pid is written beside it, for the message only.
 */
export class DataDirLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly pidPath: string,
  ) {}

  static acquire(dataDir: string): DataDirLock {
    const path = join(dataDir, 'refinery.lock');
    const pidPath = `${path}.pid`;
    // Owner-only like the rest of the data dir (SQLite gives its journal the same mode).
    ensurePrivateFile(path);
    // timeout 0: a held lock answers SQLITE_BUSY at once instead of after a wait.
    const db = new Database(path, { timeout: 0 });
    try {
      // Exclusive locking mode keeps the lock until the connection closes; BEGIN EXCLUSIVE takes it now.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      throw new Error(`data dir ${dataDir} is in use by ${holderOf(pidPath)}; stop it or choose another --data-dir`);
    }
    writeFileSync(pidPath, `${process.pid}\n`, { mode: PRIVATE_FILE_MODE });
    return new DataDirLock(db, pidPath);
  }

  release(): void {
    if (!this.db.open) return;
    rmSync(this.pidPath, { force: true });
    this.db.close();
  }
}

function holderOf(pidPath: string): string {
  try {
    const pid = Number(readFileSync(pidPath, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? `process ${pid}` : 'another process';
  } catch {
    // Between the holder taking the lock and writing its pid.
    return 'another process';
  }
}
