import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

// The data dir holds contact data (uploads, chunks, results), the API tokens and the keys that seal stored secrets:
// only its owner may read it. Modes are set explicitly (and existing data dirs tightened on open) rather than left to
// the umask, which on most systems (022) would make everything world-readable.

/** The data dir and every directory in it: owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Every file in the data dir: owner read and write only. */
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the directory (and its missing parents) owner-only; an existing one is made owner-only too. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(path, PRIVATE_DIR_MODE);
}

/**
 * Creates the file empty and owner-only if it is missing, else makes it owner-only; for files another library creates
 * (SQLite's database, which gives its -wal and -shm files the database's own mode; the log file).
 */
export function ensurePrivateFile(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** Makes the file owner-only when it exists (files SQLite may have left from an earlier run). */
export function tightenIfPresent(path: string): void {
  if (existsSync(path)) chmodSync(path, PRIVATE_FILE_MODE);
}
