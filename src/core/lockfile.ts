/**
 * Cross-process locks for the embedded stack (several pinpipe processes on one data dir).
 * A lock is a directory created with mkdir (atomic on every local file system) holding an `owner`
 * file with the holder's pid. A lock whose holder is dead (SIGKILL) is taken over.
 * Within one process, async callers of the same lock are queued.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { PinpipeError } from './errors.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One attempt: true if acquired. Steals the lock of a dead holder. */
export function tryLock(lockPath: string): boolean {
  try {
    mkdirSync(lockPath);
    writeFileSync(`${lockPath}/owner`, String(process.pid));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  let stale = false;
  try {
    const pid = Number(readFileSync(`${lockPath}/owner`, 'utf8'));
    stale = Number.isInteger(pid) && pid > 0 && !alive(pid);
  } catch {
    // no owner file yet: the holder may be between mkdir and write; stale only if old
    try {
      stale = Date.now() - statSync(lockPath).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  if (stale) {
    const grave = `${lockPath}.stale.${process.pid}.${Date.now()}`;
    try {
      renameSync(lockPath, grave);
      rmSync(grave, { recursive: true, force: true });
    } catch {
      // someone else took it over first
    }
  }
  return false;
}

export function unlock(lockPath: string): void {
  rmSync(lockPath, { recursive: true, force: true });
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
  const run = prev.catch(() => {}).then(async () => {
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
      holder = `pid ${readFileSync(`${lockPath}/owner`, 'utf8')}`;
    } catch {}
    throw new PinpipeError('LOCKED', `${what} is held by ${holder}`);
  }
  let released = false;
  return () => {
    if (!released) unlock(lockPath);
    released = true;
  };
}
