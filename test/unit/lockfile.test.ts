/** src/core/lockfile.ts: a lock file holding the pid, stale takeover, legacy directory locks. */
import { expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { holdExclusive, tryLock, unlock, withLock, withLockSync } from '../../src/core/lockfile.js';
import { tempDirs } from '../support/tmp.js';

const temp = tempDirs();
const tmp = (): string => temp.make('pinpipe-lock-');

/** the pid of a process that has exited */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('a lock is a file holding our pid; unlock removes it; a second tryLock waits its turn', () => {
  const lock = path.join(tmp(), 'a.lock');
  expect(tryLock(lock)).toBe(true);
  expect(statSync(lock).isFile()).toBe(true);
  expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
  expect(tryLock(lock)).toBe(false); // our own live lock is never taken over
  unlock(lock);
  expect(existsSync(lock)).toBe(false);
  unlock(lock); // unlocking twice is harmless
  expect(tryLock(lock)).toBe(true);
  unlock(lock);
});

test('the lock of a dead process is taken over; one of a live process is not', () => {
  const d = tmp();
  const dead = path.join(d, 'dead.lock');
  writeFileSync(dead, String(deadPid()));
  expect(tryLock(dead)).toBe(false); // moves the stale lock out of the way
  expect(tryLock(dead)).toBe(true);
  expect(readFileSync(dead, 'utf8')).toBe(String(process.pid));
  unlock(dead);

  const live = path.join(d, 'live.lock');
  writeFileSync(live, String(process.ppid)); // our parent is alive
  expect(tryLock(live)).toBe(false);
  expect(tryLock(live)).toBe(false);
  expect(readFileSync(live, 'utf8')).toBe(String(process.ppid));
  // no leftovers besides the two locks
  expect(readdirSync(d)).toEqual(['live.lock']);
});

test('an empty lock file is a holder between create and write: stale only when old', () => {
  const lock = path.join(tmp(), 'e.lock');
  writeFileSync(lock, '');
  expect(tryLock(lock)).toBe(false);
  expect(tryLock(lock)).toBe(false);
  const old = (Date.now() - 60_000) / 1000;
  utimesSync(lock, old, old);
  expect(tryLock(lock)).toBe(false);
  expect(tryLock(lock)).toBe(true);
  unlock(lock);
});

test('legacy directory locks (<lock>/owner) are honoured, taken over when dead and unlocked', () => {
  const d = tmp();
  const live = path.join(d, 'l.lock');
  mkdirSync(live);
  writeFileSync(path.join(live, 'owner'), String(process.ppid));
  expect(tryLock(live)).toBe(false);
  expect(() => holdExclusive(live, 'thing')).toThrow(`thing is held by pid ${process.ppid}`);

  const dead = path.join(d, 'd.lock');
  mkdirSync(dead);
  writeFileSync(path.join(dead, 'owner'), String(deadPid()));
  expect(tryLock(dead)).toBe(false);
  expect(tryLock(dead)).toBe(true);
  expect(statSync(dead).isFile()).toBe(true);
  unlock(dead);

  const mine = path.join(d, 'm.lock');
  mkdirSync(mine);
  writeFileSync(path.join(mine, 'owner'), String(process.pid));
  unlock(mine);
  expect(existsSync(mine)).toBe(false);
});

test('holdExclusive names the holder; withLock queues callers of one process; withLockSync releases on throw', async () => {
  const d = tmp();
  const lock = path.join(d, 'x.lock');
  const release = holdExclusive(lock, 'the group');
  expect(() => holdExclusive(lock, 'the group')).toThrow(`the group is held by pid ${process.pid}`);
  release();
  release();
  expect(existsSync(lock)).toBe(false);

  const order: string[] = [];
  const q = path.join(d, 'q.lock');
  await Promise.all(
    ['a', 'b', 'c'].map((tag) =>
      withLock(q, async () => {
        order.push(`${tag}+`);
        await new Promise((r) => setTimeout(r, 5));
        order.push(`${tag}-`);
      }),
    ),
  );
  expect(order).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
  expect(() =>
    withLockSync(q, () => {
      throw new Error('boom');
    }),
  ).toThrow('boom');
  expect(existsSync(q)).toBe(false);
});
