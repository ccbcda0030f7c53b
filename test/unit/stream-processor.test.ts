/**
 * The stream processor as tables: input records with chosen ingested_at and event_ids →
 * expected R1–R5 rows and counters (docs/design.md "Stream (consume-stream) semantics").
 */
import { describe, expect, test } from '@jest/globals';
import { StreamProcessor } from '../../src/pipeline/stream/processor.js';
import { NO_WATERMARK } from '../../src/pipeline/stream/types.js';
import { LiveFeed, OPTS, T0, TestLog, View, geo, minute, pin, run, user, type Rec } from './stream-harness.js';

/** a pin far in the future that moves the watermark past everything before `sec - 10 - 90` */
const clock = (sec: number): Rec => pin(9999, sec, { category: 'clock' });

describe('R1–R5 of one input', () => {
  const log = new TestLog().append([
    pin(1, 5, { category: 'art', media: 'image', followers: '100' }),
    pin(2, 20, { category: 'art', media: 'video', followers: '1k' }),
    pin(3, 40, { category: '   ', media: 'multi-video(story page format)', followers: 'User Info Error' }),
    pin(4, 70, { category: 'travel', media: 'image', followers: '10' }),
    geo(1, 5, { country: 'Albania' }),
    geo(2, 21, { country: 'France' }),
    geo(3, 41, { country: ' ' }),
    user(1, 5, { first: 'Abigail', last: 'Ali', age: 20 }),
    user(2, 20.5, { first: 'Bob', last: 'B', age: 30 }),
    user(3, 40, { first: 'Abigail', last: 'Ali', age: 60 }),
    user(4, 71, { first: 'Cy', last: 'C', age: 40 }),
    clock(200),
  ]);
  const { view, proc } = run(log);

  test('R1 counts pins by category; a null category is the key ""', () => {
    expect(view.get('R1')).toEqual([
      [minute(0), '', { postings: 1 }, true],
      [minute(0), 'art', { postings: 2 }, true],
      [minute(1), 'travel', { postings: 1 }, true],
      [minute(3), 'clock', { postings: 1 }, false],
    ]);
  });

  test('R2 and R3 count joined pins by country and age group; unmatched pins are left out', () => {
    expect(view.get('R2')).toEqual([
      [minute(0), '', { postings: 1 }, true],
      [minute(0), 'Albania', { postings: 1 }, true],
      [minute(0), 'France', { postings: 1 }, true],
    ]);
    expect(view.get('R3')).toEqual([
      [minute(0), '18-24', { postings: 1 }, true],
      [minute(0), '25-35', { postings: 1 }, true],
      [minute(0), '50+', { postings: 1 }, true],
      [minute(1), '36-50', { postings: 1 }, true],
    ]);
  });

  test('R4 counts distinct user names per minute; R5 the media mix and mean follower count', () => {
    expect(view.get('R4')).toEqual([
      [minute(0), '', { distinct_posters: 2 }, true],
      [minute(1), '', { distinct_posters: 1 }, true],
    ]);
    expect(view.get('R5')).toEqual([
      [minute(0), '', { images: 1, videos: 1, stories: 1, mean_follower_count: 550 }, true],
      [minute(1), '', { images: 1, videos: 0, stories: 0, mean_follower_count: 10 }, true],
      [minute(3), '', { images: 1, videos: 0, stories: 0, mean_follower_count: 100 }, false],
    ]);
  });

  test('counters', () => {
    expect(proc.counters).toEqual({ recordsIn: 12, accepted: 12, duplicates: 0, late: 0, unmatchedGeo: 1, unmatchedUser: 0, deadLettered: 0 });
    expect(proc.watermark).toBe(T0 + 190_000);
  });
});

describe('joins by ind within the join window', () => {
  /** R2 rows of minute 0 for records fed live in this order, then a clock far ahead */
  const r2 = (recs: Rec[]) => {
    const f = new LiveFeed().send([...recs, clock(300)]);
    return {
      rows: f.view
        .get('R2')
        .filter((r) => r[0] === minute(0))
        .map((r) => [r[1], r[2].postings]),
      counters: f.proc.counters,
    };
  };

  test.each([
    ['geo arriving before its pin', [geo(1, 1, { country: 'France' }), pin(1, 10)], [['France', 1]]],
    ['geo arriving after its pin', [pin(1, 10), geo(1, 39, { country: 'France' })], [['France', 1]]],
    ['partner exactly joinWindow away (inclusive)', [pin(1, 10), geo(1, 40, { country: 'France' })], [['France', 1]]],
    ['partner just outside the join window', [pin(1, 10), geo(1, 40.001, { country: 'France' })], []],
    ['partner with another ind', [pin(1, 10), geo(2, 10, { country: 'France' })], []],
    [
      'the same ind posted twice: each pin takes the closest geo',
      [pin(1, 5), geo(1, 6, { country: 'Albania' }), pin(1, 20), geo(1, 22, { country: 'France' })],
      [
        ['Albania', 1],
        ['France', 1],
      ],
    ],
    [
      'a closer geo arriving later replaces the first choice',
      [pin(1, 20), geo(1, 45, { country: 'Albania' }), geo(1, 36, { country: 'France' })],
      [['France', 1]],
    ],
    [
      'ties by the smaller event_id (after)',
      [pin(1, 20), geo(1, 15, { id: 'g-b', country: 'Albania' }), geo(1, 25, { id: 'g-a', country: 'France' })],
      [['France', 1]],
    ],
    [
      'ties by the smaller event_id (before)',
      [pin(1, 20), geo(1, 15, { id: 'g-a', country: 'Albania' }), geo(1, 25, { id: 'g-b', country: 'France' })],
      [['Albania', 1]],
    ],
    ['two pins share one geo', [pin(1, 10), pin(1, 12), geo(1, 11, { country: 'Chad' })], [['Chad', 2]]],
  ] as [string, Rec[], [string, number][]][])('%s', (_name, recs, expected) => {
    expect(r2(recs).rows).toEqual(expected);
  });

  test('an unmatched pin counts in R1 and R5, not in R2/R3, and is reported', () => {
    const f = new LiveFeed().send([pin(1, 10, { category: 'solo' }), user(2, 10), clock(300)]);
    expect(f.view.get('R1').filter((r) => r[0] === minute(0))).toEqual([[minute(0), 'solo', { postings: 1 }, true]]);
    expect(f.view.get('R5')[0]).toEqual([minute(0), '', { images: 1, videos: 0, stories: 0, mean_follower_count: 100 }, true]);
    expect(f.view.get('R2')).toEqual([]);
    expect(f.view.get('R3')).toEqual([]);
    expect(f.proc.counters).toMatchObject({ unmatchedGeo: 1, unmatchedUser: 1 });
  });

  test('the closest geo wins whatever the arrival order across partitions', () => {
    // geo partitions 0 and 1 hold candidates; pins and geo 0 are consumed in various orders
    const results = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const log = new TestLog(2).append([pin(1, 20), geo(1, 45, { country: 'Albania' }), clock(300)], 0).append([geo(1, 22, { country: 'France' })], 1);
      const { view } = run(log, { seed });
      results.add(JSON.stringify(view.get('R2')));
    }
    expect([...results]).toEqual([JSON.stringify([[minute(0), 'France', { postings: 1 }, true]])]);
  });
});

describe('de-duplication by event_id', () => {
  test('a retried record (same event_id, later ingested_at) counts once', () => {
    const f = new LiveFeed().send([pin(1, 10, { id: 'X' }), pin(1, 12, { id: 'X' }), geo(1, 10, { id: 'G' }), geo(1, 11, { id: 'G' }), clock(300)]);
    expect(f.view.get('R1').filter((r) => r[0] === minute(0))).toEqual([[minute(0), 'art', { postings: 1 }, true]]);
    expect(f.view.get('R2')).toEqual([[minute(0), 'Albania', { postings: 1 }, true]]);
    expect(f.proc.counters).toMatchObject({ recordsIn: 5, accepted: 3, duplicates: 2 });
  });

  test('the copy with the smallest ingested_at counts, even when it arrives second', () => {
    const f = new LiveFeed(2);
    f.send([pin(1, 62, { id: 'X', category: 'b' })], 0);
    expect(f.view.get('R1')).toEqual([[minute(1), 'b', { postings: 1 }, false]]);
    f.send([pin(1, 55, { id: 'X', category: 'a' })], 1).send([clock(300)]);
    expect(f.view.get('R1').filter((r) => r[1] !== 'clock')).toEqual([
      [minute(0), 'a', { postings: 1 }, true],
      [minute(1), 'b', { postings: 0 }, true],
    ]);
    expect(f.proc.counters).toMatchObject({ accepted: 2, duplicates: 1 });
  });

  test('a displaced user copy leaves R4 of its minute', () => {
    const f = new LiveFeed(2);
    f.send([user(1, 62, { id: 'U', first: 'Zed' }), user(2, 63, { first: 'Amy' })], 0)
      .send([user(1, 58, { id: 'U', first: 'Zed' })], 1)
      .send([clock(300)]);
    expect(f.view.get('R4')).toEqual([
      [minute(0), '', { distinct_posters: 1 }, true],
      [minute(1), '', { distinct_posters: 1 }, true],
    ]);
  });
});

describe('late records', () => {
  test('a record below the watermark on arrival is counted late and not applied', () => {
    const f = new LiveFeed().send([pin(1, 100, { category: 'on-time' }), pin(2, 89.999, { category: 'late' }), geo(1, 85, { country: 'Late' }), clock(300)]);
    expect(f.view.get('R1').filter((r) => r[1] !== 'clock')).toEqual([[minute(1), 'on-time', { postings: 1 }, true]]);
    expect(f.view.get('R2')).toEqual([]);
    expect(f.proc.counters).toMatchObject({ late: 2, accepted: 2, unmatchedGeo: 1 });
  });

  test('a record exactly at the watermark is on time', () => {
    const f = new LiveFeed().send([pin(1, 100), pin(2, 90, { category: 'edge' })]);
    expect(f.proc.counters.late).toBe(0);
  });
});

describe('the watermark', () => {
  const tps = (n: number) => ['pin', 'geo', 'user'].flatMap((topic) => Array.from({ length: n }, (_, partition) => ({ topic, partition })));

  test('a lagging partition holds it back; records it then delivers are on time', () => {
    const log = new TestLog(2).append([pin(1, 100), pin(2, 300)], 0).append([pin(3, 5, { category: 'lagging' })], 1);
    const proc = new StreamProcessor(OPTS);
    proc.assign(tps(2));
    proc.observeEnds(log.ends()); // pin:1 has a record not yet read: not caught up
    proc.ingest(log.batch('pin:0', 0, 2));
    proc.observeEnds(log.ends());
    expect(proc.watermark).toBe(NO_WATERMARK);
    proc.ingest(log.batch('pin:1', 0, 1));
    proc.observeEnds(log.ends());
    expect(proc.watermark).toBe(T0 + 290_000);
    const view = new View();
    view.commit(proc);
    expect(proc.counters.late).toBe(0);
    expect(view.get('R1')[0]).toEqual([minute(0), 'lagging', { postings: 1 }, true]);
  });

  test('an idle caught-up partition does not hold it back (once confirmed by the log end offsets)', () => {
    const log = new TestLog(2).append([pin(1, 100), pin(2, 300)], 0);
    const proc = new StreamProcessor(OPTS);
    proc.assign(tps(2));
    proc.observeEnds(log.ends()); // every partition but pin:0 is empty: caught up (nothing seen yet)
    proc.ingest(log.batch('pin:0', 0, 1));
    expect(proc.watermark).toBe(NO_WATERMARK); // confirmed before anything was seen
    proc.observeEnds(log.ends());
    expect(proc.watermark).toBe(T0 + 90_000);
    proc.ingest(log.batch('pin:0', 1, 1));
    proc.observeEnds(log.ends());
    expect(proc.watermark).toBe(T0 + 290_000);
  });

  test('a stale caught-up mark cannot let another partition push it past records appended since', () => {
    // both partitions confirmed caught up at 300 s; then records pile up in both (a stalled
    // consumer); pin:0's batch arrives first with records up to 600 s
    const log = new TestLog(2).append([pin(1, 290)], 0).append([pin(2, 300)], 1);
    const proc = new StreamProcessor(OPTS);
    proc.assign(tps(2));
    proc.ingest(log.batch('pin:0', 0, 1));
    proc.ingest(log.batch('pin:1', 0, 1));
    proc.observeEnds(log.ends());
    expect(proc.watermark).toBe(T0 + 290_000);
    log.append([pin(3, 600)], 0).append([pin(4, 310, { category: 'piled-up' })], 1);
    proc.ingest(log.batch('pin:0', 1, 1));
    expect(proc.watermark).toBe(T0 + 290_000); // held by pin:1 (confirmed at 300)
    proc.ingest(log.batch('pin:1', 1, 1));
    expect(proc.counters.late).toBe(0);
    proc.observeEnds(log.ends());
    expect(proc.watermark).toBe(T0 + 590_000);
  });

  test('min over partitions that are not caught up, minus lateness; it never goes back', () => {
    const log = new TestLog(2).append([pin(1, 50), pin(2, 60)], 0).append([pin(3, 40), pin(4, 45)], 1);
    const proc = new StreamProcessor(OPTS);
    proc.assign(tps(2));
    proc.observeEnds(log.ends());
    proc.ingest(log.batch('pin:0', 0, 1)); // pin:0 at 50, pin:1 unseen
    expect(proc.watermark).toBe(NO_WATERMARK);
    proc.ingest(log.batch('pin:1', 0, 1)); // pin:1 at 40 (behind)
    proc.observeEnds(log.ends()); // the empty partitions confirmed caught up at 50
    expect(proc.watermark).toBe(T0 + 30_000);
    proc.ingest(log.batch('pin:0', 1, 1)); // pin:0 caught up at 60, pin:1 still at 40
    expect(proc.watermark).toBe(T0 + 30_000);
    proc.ingest(log.batch('pin:1', 1, 1)); // pin:1 caught up too; the others were confirmed at 50
    expect(proc.watermark).toBe(T0 + 40_000);
    proc.observeEnds(log.ends()); // all confirmed caught up: the overall max, 60
    expect(proc.watermark).toBe(T0 + 50_000);
    proc.observeEnds(new Map([['pin:1', 5]])); // pin:1 behind again: the watermark stays
    expect(proc.watermark).toBe(T0 + 50_000);
  });
});

describe('event-time alignment (flow control on a backlog)', () => {
  const tps = ['pin', 'geo', 'user'].map((topic) => ({ topic, partition: 0 }));
  const keys = (list: { topic: string; partition: number }[]) => list.map((tp) => `${tp.topic}:${tp.partition}`).sort();

  test('a partition more than aheadMs past the slowest one still reading is to be paused, until the slowest catches up', () => {
    // pins a minute apart over 10 minutes; geo and user records every 10 s over the same span
    const log = new TestLog(1)
      .append(Array.from({ length: 10 }, (_, i) => pin(i, i * 60)))
      .append(Array.from({ length: 60 }, (_, i) => geo(i, i * 10)))
      .append(Array.from({ length: 60 }, (_, i) => user(i, i * 10)));
    const proc = new StreamProcessor(OPTS);
    proc.assign(tps);
    proc.observeEnds(log.ends());
    expect(proc.overrunning(60_000)).toEqual([]); // nothing seen yet
    proc.ingest(log.batch('pin:0', 0, 1)); // pin at 0 s
    proc.ingest(log.batch('geo:0', 0, 13)); // geo up to 120 s: 120 s ahead of pin
    proc.ingest(log.batch('user:0', 0, 7)); // user up to 60 s: exactly 60 s ahead, allowed
    expect(keys(proc.overrunning(60_000))).toEqual(['geo:0']);
    expect(keys(proc.overrunning(119_000))).toEqual(['geo:0']);
    expect(proc.overrunning(120_000)).toEqual([]);
    proc.ingest(log.batch('pin:0', 1, 1)); // pin at 60 s: user is now the slowest (60 s), geo 60 s past it
    expect(proc.overrunning(60_000)).toEqual([]);
    proc.ingest(log.batch('user:0', 7, 53)); // user read to its end (590 s), caught up: no longer counted
    proc.ingest(log.batch('geo:0', 13, 10)); // geo at 220 s, pin at 60 s
    expect(keys(proc.overrunning(60_000))).toEqual(['geo:0']);
    proc.ingest(log.batch('pin:0', 2, 8)); // pin read to its end: only geo still reads
    expect(proc.overrunning(60_000)).toEqual([]);
  });

  test('a partition that has seen nothing and is not known to be caught up holds the others back', () => {
    const log = new TestLog(1)
      .append([pin(1, 0), pin(2, 30)])
      .append([geo(1, 0), geo(2, 600)])
      .append([user(1, 0)]);
    const proc = new StreamProcessor(OPTS);
    proc.assign(tps);
    proc.ingest(log.batch('geo:0', 0, 2)); // geo read to its end before anything else: caught up
    proc.ingest(log.batch('user:0', 0, 0)); // an empty batch says nothing
    expect(proc.overrunning(60_000)).toEqual([]); // geo caught up; nothing else seen
    const log2 = new TestLog(1)
      .append([pin(1, 0)])
      .append([geo(1, 0), geo(2, 10), geo(3, 600)])
      .append([user(1, 0)]);
    const proc2 = new StreamProcessor(OPTS);
    proc2.assign(tps);
    proc2.ingest(log2.batch('geo:0', 0, 1)); // geo at 0 s, more to read; pin and user unseen
    expect(keys(proc2.overrunning(60_000))).toEqual(['geo:0']);
    proc2.ingest(log2.batch('pin:0', 0, 1)); // pin caught up at 0 s; user still unseen
    expect(keys(proc2.overrunning(60_000))).toEqual(['geo:0']);
    proc2.observeEnds(
      new Map([
        ['pin:0', 1],
        ['geo:0', 3],
        ['user:0', 0],
      ]),
    ); // user empty: caught up
    expect(proc2.overrunning(60_000)).toEqual([]);
  });

  test('the slowest partition is never paused, so reading always goes on', () => {
    const log = new TestLog(1)
      .append([pin(1, 0), pin(2, 1000)])
      .append([geo(1, 500), geo(2, 900)])
      .append([user(1, 2000), user(2, 3000)]);
    const proc = new StreamProcessor(OPTS);
    proc.assign(tps);
    proc.observeEnds(log.ends());
    proc.ingest(log.batch('pin:0', 0, 1));
    proc.ingest(log.batch('geo:0', 0, 1));
    proc.ingest(log.batch('user:0', 0, 1));
    expect(keys(proc.overrunning(60_000))).toEqual(['geo:0', 'user:0']);
    proc.ingest(log.batch('pin:0', 1, 1)); // pin caught up at 1000 s: geo (500 s) is the slowest now
    expect(keys(proc.overrunning(60_000))).toEqual(['user:0']);
  });
});

describe('finality', () => {
  test('a window is final once watermark ≥ its end + joinWindow; open rows are written before', () => {
    const f = new LiveFeed().send([pin(1, 10), geo(1, 10.5)]);
    expect(f.view.get('R1')).toEqual([[minute(0), 'art', { postings: 1 }, false]]);
    expect(f.view.get('R2')).toEqual([]); // not decided: a closer geo could still come
    f.send([pin(2, 21)]); // watermark 11 > 10 + 0.5: the pin's geo is decided
    expect(f.view.get('R2')).toEqual([[minute(0), 'Albania', { postings: 1 }, false]]);
    f.send([pin(3, 99.999, { category: 'm1' })]);
    expect(f.view.get('R1')[0]).toEqual([minute(0), 'art', { postings: 2 }, false]);
    f.send([pin(4, 100, { category: 'm1' })]);
    expect(f.view.get('R1').slice(0, 1)).toEqual([[minute(0), 'art', { postings: 2 }, true]]);
    expect(f.view.get('R2')).toEqual([[minute(0), 'Albania', { postings: 1 }, true]]);
    expect(f.view.get('R5')[0]).toEqual([minute(0), '', { images: 2, videos: 0, stories: 0, mean_follower_count: 100 }, true]);
    expect(f.proc.counters).toMatchObject({ unmatchedGeo: 1, unmatchedUser: 2 });
  });

  test('final rows are returned once, with every key of the window', () => {
    const proc = new StreamProcessor(OPTS);
    const log = new TestLog().append([pin(1, 10, { category: 'a' }), pin(2, 11, { category: 'b' }), clock(200)]);
    const view = new View();
    proc.assign([{ topic: 'pin', partition: 0 }]);
    proc.ingest(log.batch('pin:0', 0, 2));
    expect(proc.snapshot()!.finalRows).toEqual([]);
    proc.ingest(log.batch('pin:0', 2, 1));
    const snap = proc.snapshot()!;
    expect(snap.finalRows.map((r) => `${r.metric}:${r.key}:${r.final}`)).toEqual(['R1:a:true', 'R1:b:true', 'R5::true']);
    expect(proc.snapshot()!.finalRows).toEqual([]);
    void view;
  });
});

describe('dead letters', () => {
  test('records that fail cleaning go to the dead letters with a reason and are counted', () => {
    const f = new LiveFeed();
    f.send([
      { type: 'pin', value: 'not json' },
      {
        type: 'geo',
        value: JSON.stringify({ ind: 1, timestamp: 'x', latitude: 1, longitude: 1, country: 'a', event_id: 'e', ingested_at: '2026-11-27T10:00:00Z' }),
      },
    ]);
    f.send([{ type: 'user', value: JSON.stringify({ ind: 1, first_name: 'a', last_name: 'b', age: 20, date_joined: '2015-01-01 00:00:00' }) }]);
    expect(f.view.deadLetters.map((d) => [d.topic, d.offset, d.reason])).toEqual([
      ['pin', 0, 'value is not JSON'],
      ['geo', 0, expect.stringMatching(/timestamp/)],
      ['user', 0, 'missing event_id or ingested_at stamp'],
    ]);
    expect(f.view.deadLetters[0]!.record).toBe('not json');
    expect(f.proc.counters).toMatchObject({ recordsIn: 3, deadLettered: 3, accepted: 0 });
  });
});

describe('a quiet pipeline closes its windows with the clock', () => {
  /** one pin at second 50 of minute 0, every partition caught up; then the runner's clock goes on */
  const quiet = () => {
    const f = new LiveFeed().send([pin(1, 50, { category: 'art' }), geo(1, 51, { country: 'Chad' })]);
    const ends = f.log.ends();
    return { f, ends, tick: (wall: number) => (f.proc.observeEnds(ends, wall), f.view.commit(f.proc)) };
  };
  const r1 = (f: LiveFeed) => f.view.get('R1');

  test('event time goes on with the wall clock from the newest record once every partition is idle', () => {
    const { f, tick } = quiet();
    const w0 = f.proc.watermark;
    expect(w0).toBe(T0 + 51_000 - 10_000); // the newest record minus the lateness
    tick(1_000_000); // idle from here (runner's clock, any origin)
    expect(f.proc.watermark).toBe(w0);
    // minute 0 is final at its end + joinWindow (30 s) + lateness (10 s): 100 s of event time, 49 s after the newest record
    tick(1_048_999);
    expect(r1(f)).toEqual([[minute(0), 'art', { postings: 1 }, false]]);
    tick(1_049_000);
    expect(f.proc.watermark).toBe(T0 + 90_000);
    expect(r1(f)).toEqual([[minute(0), 'art', { postings: 1 }, true]]);
    expect(f.view.get('R2')).toEqual([[minute(0), 'Chad', { postings: 1 }, true]]);
  });

  test('new records restart the idle time; a partition not caught up holds the clock back', () => {
    const { f, tick } = quiet();
    tick(0);
    tick(30_000);
    f.send([pin(2, 52, { category: 'diy' })]); // a new record: idle again from the next check
    const ends = f.log.ends();
    f.proc.observeEnds(ends, 40_000);
    f.proc.observeEnds(ends, 40_000 + 47_999);
    expect(f.proc.watermark).toBe(T0 + 52_000 - 10_000 + 47_999);
    // the log grows but the records are not read yet: not caught up, no clock
    f.log.append([pin(3, 53, { category: 'x' })]);
    f.proc.observeEnds(f.log.ends(), 200_000);
    expect(f.proc.watermark).toBe(T0 + 52_000 - 10_000 + 47_999);
  });

  test('without a clock (as before) the last windows stay open', () => {
    const { f } = quiet();
    f.proc.observeEnds(f.log.ends());
    f.view.commit(f.proc);
    expect(r1(f)).toEqual([[minute(0), 'art', { postings: 1 }, false]]);
  });
});
