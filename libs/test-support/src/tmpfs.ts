import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Small real file systems for tests of a full disk or a read-only data dir: tmpfs mounts (root on Linux). Where
// mounting is not permitted, TMPFS_UNAVAILABLE says why, and the tests that need one are skipped saying so.

/** Why tmpfs mounts cannot be made here (then tests that need one skip), or undefined when they can. */
export const TMPFS_UNAVAILABLE: string | undefined = tmpfsUnavailable();

function tmpfsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `tmpfs mounts need Linux (this is ${process.platform})`;
  const dir = mkdtempSync(join(tmpdir(), 'refinery-tmpfs-check-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return `mounting a tmpfs is not permitted here (${stderr || (error as Error).message}); run the tests as root to include them`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mounts a tmpfs of `sizeKb` kibibytes at `dir` (created if missing). */
export function mountTmpfs(dir: string, sizeKb: number): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
}

/** Changes a mounted tmpfs: `size=64m` grows it, `ro` makes it read-only, `rw` writable again. */
export function remount(dir: string, options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, dir], { stdio: 'pipe' });
}

/** Unmounts, waiting out a moment of "target is busy" (a process that just closed its files), else lazily. */
export function unmount(dir: string): void {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      return;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
}
