/** src/core/serial.ts: sections one at a time in call order (Serial); one shared attempt, retried after a failure (SharedAttempt). */
import { describe, expect, test } from '@jest/globals';
import { Serial, SharedAttempt } from '../../src/core/serial.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Serial', () => {
  test('sections run one at a time in call order; a failure is its caller’s and does not stop the next', async () => {
    const s = new Serial();
    const log: string[] = [];
    const section = (name: string, ms: number, fail = false) =>
      s.run(async () => {
        log.push(`start ${name}`);
        await tick(ms);
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([section('a', 5), section('b', 1, true), section('c', 0)]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'b', 'c']);
  });
});

describe('SharedAttempt', () => {
  test('concurrent and later callers share one successful run', async () => {
    const a = new SharedAttempt();
    let runs = 0;
    const step = async () => {
      runs++;
      await tick(2);
    };
    await Promise.all([a.run(step), a.run(step), a.run(step)]);
    await a.run(step);
    expect(runs).toBe(1);
  });

  test('a failed run is forgotten: its callers get the error, the next call runs again', async () => {
    const a = new SharedAttempt();
    let runs = 0;
    const failing = async () => {
      runs++;
      await tick(1);
      throw new Error(`attempt ${runs}`);
    };
    const both = await Promise.allSettled([a.run(failing), a.run(failing)]);
    expect(both.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['attempt 1', 'attempt 1']);
    await expect(a.run(async () => void runs++)).resolves.toBeUndefined();
    expect(runs).toBe(2);
    await a.run(failing); // shared: the success stands
    expect(runs).toBe(2);
  });

  test('current: none before the first run, the shared promise (with its value) once run, none after a failure or a reset', async () => {
    const a = new SharedAttempt<number>();
    expect(a.current).toBeUndefined();
    const p = a.run(async () => 42);
    expect(a.current).toBe(p);
    await expect(a.current).resolves.toBe(42);
    a.reset();
    expect(a.current).toBeUndefined();
    await expect(a.run(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(a.current).toBeUndefined();
  });

  test('reset: the next call runs again even after a success', async () => {
    const a = new SharedAttempt();
    let runs = 0;
    await a.run(async () => void runs++);
    a.reset();
    await a.run(async () => void runs++);
    expect(runs).toBe(2);
  });
});
