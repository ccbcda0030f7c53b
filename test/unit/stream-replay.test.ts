/**
 * Safe points and restarts: a processor that crashes (its uncommitted work lost) and restarts
 * from the last committed checkpoint (seek to safe points, skip what was final, replay) must end
 * with exactly the views and counters of an uninterrupted run; final windows must equal the
 * batch-style reference computed from all records at once.
 */
import { describe, expect, test } from '@jest/globals';
import { publicCounters } from '../../src/pipeline/stream/checkpoint.js';
import { StreamProcessor } from '../../src/pipeline/stream/processor.js';
import { LiveFeed, OPTS, View, drive, pin, rng, run } from './stream-harness.js';
import { generate, reference } from './stream-reference.js';

const restart = (view: View) => {
  const proc = new StreamProcessor(OPTS, view.checkpoint);
  proc.seed([...view.rows.values()]);
  return proc;
};

/** stream final rows vs the reference, per final minute, leaving out rows whose count is 0 */
function expectFinalMatchesReference(view: View, ref: Map<string, Record<string, number | null>>) {
  const finalMinutes = new Set([...view.rows.values()].filter((r) => r.final).map((r) => r.minute));
  expect(finalMinutes.size).toBeGreaterThan(2);
  const got = [...view.rows.values()].filter((r) => r.final && !(r.values.postings === 0)).map((r) => [`${r.metric}|${r.minute}|${r.key}`, r.values] as const);
  const want = [...ref].filter(([k]) => finalMinutes.has(k.split('|')[1]!));
  expect(new Map(got)).toEqual(new Map(want));
}

const dlKeys = (v: View) => [...new Set(v.deadLetters.map((d) => `${d.topic}:${d.partition}:${d.offset}`))].sort();

describe('restart from a checkpoint', () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])('seed %i: crashes at random points end with the views of an uninterrupted run', (seed) => {
    const log = generate({ seed, postings: 250, span: 400, partitions: 2, disorder: 4 });
    const base = run(log, { seed, batch: 3, commitEvery: 2 });
    expect(base.proc.counters.late).toBe(0);
    expectFinalMatchesReference(base.view, reference(log, OPTS.joinWindow));

    const r = rng(seed * 7919);
    const view = new View();
    let proc = new StreamProcessor(OPTS);
    let crashes = 0;
    for (;;) {
      const stopAfter = crashes < 5 ? 1 + Math.floor(r() * (crashes === 0 ? 40 : 150)) : undefined;
      const done = drive(proc, log, view, { seed: seed * 31 + crashes, batch: 1 + Math.floor(r() * 6), commitEvery: 1 + Math.floor(r() * 4), stopAfter });
      if (done) break;
      crashes++;
      proc = restart(view);
    }
    expect(crashes).toBeGreaterThan(0);
    expect(view.sorted()).toEqual(base.view.sorted());
    expect(publicCounters(view.checkpoint)).toEqual(base.proc.counters);
    expect(dlKeys(view)).toEqual(dlKeys(base.view));
  });

  test('another interleaving of the same log gives the same views', () => {
    const log = generate({ seed: 99, postings: 300, span: 300, partitions: 3, disorder: 5 });
    const a = run(log, { seed: 1, batch: 1 });
    const b = run(log, { seed: 2, batch: 7 });
    expect(b.view.sorted()).toEqual(a.view.sorted());
    expect(b.proc.counters).toEqual(a.proc.counters);
  });

  test('until-idle in two runs (the second on more data) equals one run over all of it', () => {
    const o = { seed: 5, postings: 250, span: 400, partitions: 2, disorder: 4 };
    const full = generate(o);
    const first = generate({ ...o, until: 200 });
    const whole = run(full, { seed: 3, batch: 4 });
    const view = new View();
    drive(new StreamProcessor(OPTS), first, view, { seed: 4, batch: 2 });
    const open = [...view.rows.values()].filter((row) => !row.final).length;
    expect(open).toBeGreaterThan(0); // windows left open at exit, not force-finalized
    drive(restart(view), full, view, { seed: 5, batch: 5 });
    expect(view.sorted()).toEqual(whole.view.sorted());
    expect(publicCounters(view.checkpoint)).toEqual(whole.proc.counters);
  });

  test('a restart right after a commit, before any new batch, changes nothing', () => {
    const log = generate({ seed: 8, postings: 100, span: 200, partitions: 2, disorder: 3 });
    const view = new View();
    drive(new StreamProcessor(OPTS), log, view, {});
    const before = view.sorted();
    const proc = restart(view);
    drive(proc, log, view, {});
    expect(view.sorted()).toEqual(before);
    expect(proc.counters).toEqual(publicCounters(view.checkpoint));
  });
});

describe('safe points', () => {
  test('the checkpoint seeks to the oldest held record and keeps the read position', () => {
    const f = new LiveFeed().send([pin(1, 100), pin(2, 150), pin(3, 170)]);
    const cp = f.view.checkpoint!;
    // pin 1 (t 100) is held until the minute of t + 30 s is final: 120 + 60 + 30 = 210 > 160
    expect(cp.offsets['pin:0']).toBe(0);
    expect(cp.counters['_read:pin:0']).toBe(3);
    f.send([pin(4, 230)]); // watermark 220: pin 1 pruned; pin 2 (t 150) held until 180 + 60 + 30 = 270
    expect(f.view.checkpoint!.offsets['pin:0']).toBe(1);
    f.send([pin(5, 281)]); // watermark 271: pins 2 and 3 pruned; pin 4 (t 230) held until 330
    expect(f.view.checkpoint!.offsets['pin:0']).toBe(3);
  });

  test('a late record inside the replay range stays not applied after a restart', () => {
    const f = new LiveFeed().send([pin(1, 100, { category: 'a' }), pin(2, 150, { category: 'b' }), pin(3, 130, { category: 'late' })]);
    expect(f.proc.counters.late).toBe(1);
    expect(f.view.checkpoint!.counters['_skip:pin:0:2']).toBe(1);
    const view = new View();
    view.rows.clear();
    for (const [k, r] of f.view.rows) view.rows.set(k, r);
    view.checkpoint = f.view.checkpoint;
    const proc = restart(view);
    expect(proc.startOffset({ topic: 'pin', partition: 0 })).toBe(0);
    f.log.append([pin(4, 400)]);
    drive(proc, f.log, view, {});
    f.send([pin(4, 400)]);
    expect(view.sorted()).toEqual(f.view.sorted());
    expect(view.get('R1').filter((row) => row[1] === 'late')).toEqual([]);
    expect(publicCounters(view.checkpoint)).toEqual(f.proc.counters);
  });

  test('a duplicate whose first copy is already pruned is not counted again after a restart', () => {
    const f = new LiveFeed().send([pin(1, 50, { id: 'X', category: 'x' }), pin(2, 100), pin(1, 135, { id: 'X', category: 'x' }), pin(3, 170)]);
    expect(f.proc.counters.duplicates).toBe(1);
    const cp = f.view.checkpoint!;
    expect(cp.offsets['pin:0']).toBe(1); // X (t 50) is pruned at 150 < watermark 160
    expect(cp.counters['_skip:pin:0:2']).toBe(1);
    const view = new View();
    for (const [k, r] of f.view.rows) view.rows.set(k, r);
    view.checkpoint = cp;
    const proc = restart(view);
    f.log.append([pin(4, 400)]);
    drive(proc, f.log, view, {});
    f.send([pin(4, 400)]);
    expect(view.sorted()).toEqual(f.view.sorted());
    expect(view.get('R1').filter((row) => row[1] === 'x')).toEqual([[expect.any(String), 'x', { postings: 1 }, true]]);
  });
});
