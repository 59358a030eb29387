import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile, tightenIfPresent } from './private-files';

export type SqliteDatabase = Database.Database;
export type Statement = Database.Statement<unknown[]>;

// One SQLite file holds the queues, the tables and the event log of a data dir. WAL lets readers (the HTTP API)
// run beside the writer; synchronous=NORMAL in WAL mode keeps every committed transaction across a process crash
// (SIGKILL, OOM), which is the failure the local mode promises to survive. An OS crash or power loss may lose the
// last transactions (never corrupt the file); that is the documented trade-off for speed.
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE queues (
    name TEXT PRIMARY KEY,
    visibility_timeout_ms INTEGER NOT NULL,
    max_receive_count INTEGER,
    dead_letter_queue TEXT
  );
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    visible_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_received_at INTEGER,
    receipt_handle TEXT,
    dead_letter_source TEXT,
    dead_lettered_at INTEGER
  );
  CREATE INDEX messages_by_queue ON messages (queue, visible_at, seq);
  CREATE UNIQUE INDEX messages_by_receipt ON messages (receipt_handle) WHERE receipt_handle IS NOT NULL;
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    detail_type TEXT NOT NULL,
    time TEXT NOT NULL,
    tenant_id TEXT,
    job_id TEXT,
    event_id TEXT,
    body TEXT NOT NULL
  );
  CREATE INDEX events_by_job ON events (job_id, seq);
  CREATE TABLE items (
    tbl TEXT NOT NULL,
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tbl, pk, sk)
  ) WITHOUT ROWID;
  CREATE TABLE objects (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    content_type TEXT,
    last_modified INTEGER NOT NULL,
    PRIMARY KEY (bucket, key)
  ) WITHOUT ROWID;
  `,
];

export function openDatabase(path: string): SqliteDatabase {
  if (path !== ':memory:') {
    // Owner-only before SQLite opens it: SQLite creates the -wal and -shm files with the database file's mode.
    ensurePrivateDir(dirname(path));
    ensurePrivateFile(path);
    for (const suffix of ['-wal', '-shm', '-journal']) tightenIfPresent(`${path}${suffix}`);
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Deleted rows are overwritten with zeros, not just unlinked: an erased job's contact data must not linger in free
  // pages of the file (or of the write-ahead log, which LocalRuntime truncates after an erasure).
  db.pragma('secure_delete = ON');
  // Several processes may open one data dir (the CLI and a test reading it): wait for the write lock, don't fail.
  db.pragma('busy_timeout = 10000');
  migrate(db);
  return db;
}

function migrate(db: SqliteDatabase): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version += 1) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}

const preparedStatements = new WeakMap<SqliteDatabase, Map<string, Statement>>();

/**
 * The statement for `sql` on `db`, prepared once per database and kept: preparing compiles the SQL, about 10 us each
 * time, and the tables, the event log and the object store ran the same few statements thousands of times per job
 * (5,219 prepares on the main thread of a 100,000-row enrich). For single-shot calls (run, get, all); a statement being
 * iterated is busy, so `iterate` needs one of its own.
 */
export function cachedStatement(db: SqliteDatabase, sql: string): Statement {
  let statements = preparedStatements.get(db);
  if (!statements) {
    statements = new Map();
    preparedStatements.set(db, statements);
  }
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}
