/**
 * Cross-process locks for the embedded stack (several pinpipe processes on one data dir).
 * A lock is a FILE created with open(O_CREAT | O_EXCL) (atomic on every local file system) that
 * holds the holder's pid; unlock is one unlink. A lock whose holder is dead (SIGKILL) is taken
 * over; so is an empty lock file older than STALE_EMPTY_MS (a holder killed between create and
 * write). A cycle costs a few tens of µs (the former directory + owner file + recursive rm cost
 * ~300 µs). Locks left as directories by earlier versions (`<lock>/owner`) are still recognized.
 * Within one process, async callers of the same lock are queued.
 */
import { closeSync, linkSync, lstatSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { PinpipeError } from './errors.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** an empty lock file (or legacy directory without owner) older than this is stale */
const STALE_EMPTY_MS = 10_000;
const PID_TEXT = String(process.pid);

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder's pid as written in the lock ('' while the holder is between create and write). */
function holderText(lockPath: string, isDir: boolean): string {
  return readFileSync(isDir ? `${lockPath}/owner` : lockPath, 'utf8');
}

/** One attempt: true if acquired. Steals the lock of a dead holder. */
export function tryLock(lockPath: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    takeOverIfStale(lockPath);
    return false;
  }
  try {
    writeSync(fd, PID_TEXT);
  } catch (e) {
    closeSync(fd);
    unlinkSync(lockPath);
    throw e;
  }
  closeSync(fd);
  return true;
}

/** If the existing lock's holder is dead (or it is old and empty), move it out of the way. */
function takeOverIfStale(lockPath: string): void {
  let st;
  try {
    st = lstatSync(lockPath);
  } catch {
    return; // released meanwhile: the next attempt may get it
  }
  const isDir = st.isDirectory();
  let stale: boolean;
  try {
    const pid = Number(holderText(lockPath, isDir));
    if (Number.isInteger(pid) && pid > 0) stale = !alive(pid);
    else stale = Date.now() - st.mtimeMs > STALE_EMPTY_MS;
  } catch {
    // gone meanwhile, or a legacy directory without its owner file yet
    try {
      stale = Date.now() - statSync(lockPath).mtimeMs > STALE_EMPTY_MS;
    } catch {
      return;
    }
  }
  if (!stale) return;
  const grave = `${lockPath}.stale.${process.pid}.${Date.now()}`;
  try {
    renameSync(lockPath, grave);
  } catch {
    return; // someone else took it over first
  }
  // Between our look and the rename, another process may have taken the stale lock over and
  // created a fresh one: if what we moved is not what we judged, put it back (never over a lock).
  try {
    const moved = lstatSync(grave);
    if ((moved.ino !== st.ino || moved.dev !== st.dev) && !moved.isDirectory()) {
      try {
        linkSync(grave, lockPath);
      } catch {}
    }
  } catch {}
  try {
    rmSync(grave, { recursive: true, force: true });
  } catch {}
}

export function unlock(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // a legacy directory lock
    if (code === 'EISDIR' || code === 'EPERM') rmSync(lockPath, { recursive: true, force: true });
    else throw e;
  }
}

/** Hold the lock while fn runs (synchronously). Waits up to timeoutMs. */
export function withLockSync<T>(lockPath: string, fn: () => T, timeoutMs = 30_000): T {
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  while (!tryLock(lockPath)) {
    if (Date.now() > deadline) throw new PinpipeError('LOCKED', `timed out waiting for lock ${lockPath}`, { retriable: true });
    sleepSync(wait);
    wait = Math.min(wait * 2, 20);
  }
  try {
    return fn();
  } finally {
    unlock(lockPath);
  }
}

const queues = new Map<string, Promise<unknown>>();

/** Hold the lock while the async fn runs; callers in this process are queued. */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const prev = queues.get(lockPath) ?? Promise.resolve();
  const run = prev
    .catch(() => {})
    .then(async () => {
      const deadline = Date.now() + timeoutMs;
      let wait = 1;
      while (!tryLock(lockPath)) {
        if (Date.now() > deadline) throw new PinpipeError('LOCKED', `timed out waiting for lock ${lockPath}`, { retriable: true });
        await sleep(wait);
        wait = Math.min(wait * 2, 20);
      }
      try {
        return await fn();
      } finally {
        unlock(lockPath);
      }
    });
  queues.set(lockPath, run);
  try {
    return await run;
  } finally {
    if (queues.get(lockPath) === run) queues.delete(lockPath);
  }
}

/**
 * A lock held for the life of a process (e.g. one embedded consumer per group). Throws LOCKED
 * with the holder's pid if another live process has it.
 */
export function holdExclusive(lockPath: string, what: string): () => void {
  if (!tryLock(lockPath) && !tryLock(lockPath)) {
    let holder = 'another process';
    try {
      const isDir = lstatSync(lockPath).isDirectory();
      const text = holderText(lockPath, isDir).trim();
      if (text) holder = `pid ${text}`;
    } catch {}
    throw new PinpipeError('LOCKED', `${what} is held by ${holder}`);
  }
  let released = false;
  return () => {
    if (!released) unlock(lockPath);
    released = true;
  };
}
