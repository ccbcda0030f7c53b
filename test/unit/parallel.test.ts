/** src/core/parallel.ts: at most `limit` calls in flight, items taken in order, the first failure stops the rest. */
import { describe, expect, test } from '@jest/globals';
import { forEachLimit } from '../../src/core/parallel.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('forEachLimit', () => {
  test('every item once, in order of starting, never more than limit in flight', async () => {
    const started: number[] = [];
    let inFlight = 0;
    let most = 0;
    const out: number[] = new Array(10);
    await forEachLimit([...Array(10).keys()], 3, async (x, i) => {
      started.push(x);
      most = Math.max(most, ++inFlight);
      await tick(x % 3);
      out[i] = x * 10;
      inFlight--;
    });
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).toBe(3);
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    await forEachLimit([], 4, async () => {
      throw new Error('never called');
    });
  });

  test('the first failure stops taking items, lets the running calls finish, then is thrown', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const err = await forEachLimit([0, 1, 2, 3, 4, 5, 6, 7], 2, async (x) => {
      started.push(x);
      await tick(x === 1 ? 20 : 1);
      if (x === 2) throw new Error('item 2 failed');
      finished.push(x);
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe('item 2 failed');
    // 0 and 1 start; 0 ends, 2 starts and fails while 1 runs: nothing after 2 starts, 1 finishes
    expect(started).toEqual([0, 1, 2]);
    expect(finished).toEqual([0, 1]);
  });
});
