/**
 * One SQLite file shared by several processes. Every operation takes the cross-process lock
 * `<dataDir>/store.lock`, opens the database, runs (in one transaction when it writes), and closes
 * it, so no stale page cache survives between processes.
 *
 * Crash safety: node-sqlite3-wasm's VFS "locks" by creating a directory `<db>.lock` for any lock
 * level and reports a RESERVED lock whenever that directory exists, including its own. SQLite
 * therefore never sees a rollback journal as hot, so journal_mode DELETE/TRUNCATE would NOT roll
 * back a transaction cut by SIGKILL. We use WAL with locking_mode EXCLUSIVE instead (no shared
 * memory needed; one connection at a time is what our lock gives anyway): uncommitted frames in
 * the WAL are discarded by SQLite's recovery on the next open, committed ones are kept, and the
 * WAL is checkpointed and removed on close. synchronous FULL: a commit is durable when it returns.
 * A killed process also leaves `<db>.lock` behind; seen while we hold our lock (which detects dead
 * holders), it is stale and removed before opening.
 */
export const OPEN_PRAGMAS = 'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pkg from 'node-sqlite3-wasm';
import { PinpipeError, isPinpipeError, type ErrorCode } from '../../core/errors.js';
import { withLock } from '../../core/lockfile.js';

const { Database } = pkg;
export type SqliteDb = InstanceType<typeof Database>;

/** read: no transaction; write: one IMMEDIATE transaction; query: read-only (query_only) */
export type Mode = 'read' | 'write' | 'query';

export class SqliteFile {
  readonly dbPath: string;
  readonly lockPath: string;

  constructor(dataDir: string, private readonly errorCode: ErrorCode = 'STORE_UNAVAILABLE') {
    this.dbPath = path.join(dataDir, 'store.db');
    this.lockPath = path.join(dataDir, 'store.lock');
  }

  async run<T>(what: string, mode: Mode, fn: (db: SqliteDb) => T): Promise<T> {
    try {
      mkdirSync(path.dirname(this.dbPath), { recursive: true });
    } catch (e) {
      throw this.fail(what, e);
    }
    return withLock(this.lockPath, async () => this.runLocked(what, mode, fn), 60_000);
  }

  private runLocked<T>(what: string, mode: Mode, fn: (db: SqliteDb) => T): T {
    let db: SqliteDb | undefined;
    try {
      rmSync(`${this.dbPath}.lock`, { recursive: true, force: true });
      db = new Database(this.dbPath);
      db.exec(OPEN_PRAGMAS);
      if (mode === 'query') db.exec('PRAGMA query_only = ON');
      if (mode === 'write') db.exec('BEGIN IMMEDIATE');
      const out = fn(db);
      if (mode === 'write') db.exec('COMMIT');
      return out;
    } catch (e) {
      if (db?.isOpen && db.inTransaction) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // the next opener rolls back from the journal
        }
      }
      if (mode === 'query' && !isPinpipeError(e)) throw new PinpipeError('QUERY_INVALID', `query failed: ${(e as Error).message}`);
      throw this.fail(what, e);
    } finally {
      if (db?.isOpen) db.close();
    }
  }

  private fail(what: string, e: unknown): PinpipeError {
    if (isPinpipeError(e)) return e;
    return new PinpipeError(this.errorCode, `embedded store ${this.dbPath}: ${what} failed: ${(e as Error)?.message ?? String(e)}`, { retriable: true, cause: e });
  }
}
