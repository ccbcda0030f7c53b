/**
 * The dashboard's live windows: the hour read in slices at start, then only when the stream's
 * checkpoint changed and only the windows that can have changed; deletions seen by the periodic
 * full read; old windows dropped.
 */
import { expect, test } from '@jest/globals';
import type { Checkpoint, RealtimeShape, RealtimeStore, WindowRow } from '../../src/connectors/realtime/types.js';
import { LiveWindows } from '../../src/dashboard/live.js';
import { realtimeMetric } from '../support/metrics.js';

const T0 = Date.parse('2026-12-02T10:30:20.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const minute = (m: string) => `2026-12-02T${m}:00.000Z`;

class FakeRealtime implements RealtimeStore {
  readonly kind = 'embedded' as const;
  rows: WindowRow[] = [];
  checkpoint: Checkpoint | null = null;
  reads: { metric: string; from?: string; to?: string }[] = [];
  async connect(_m: RealtimeShape[]): Promise<void> {}
  async commit(): Promise<void> {}
  async loadCheckpoint(): Promise<Checkpoint | null> {
    return this.checkpoint;
  }
  async read(metric: string, range: { from?: string; to?: string } = {}): Promise<WindowRow[]> {
    this.reads.push({ metric, ...range });
    return this.rows.filter((r) => r.metric === metric && (!range.from || r.minute >= range.from) && (!range.to || r.minute < range.to));
  }
  async reset(): Promise<void> {}
  async close(): Promise<void> {}
}

const r1 = (m: string, key: string, postings: number, final: boolean): WindowRow => ({ metric: 'R1', minute: minute(m), key, values: { postings }, final });

test('start: the hour in slices; then nothing while the checkpoint stands still; then the open windows only', async () => {
  const rt = new FakeRealtime();
  let now = T0;
  const live = new LiveWindows(rt, [realtimeMetric('R1')], { group: 'g', joinWindowMs: 30_000, now: () => now, sliceMs: 20 * 60_000 });
  rt.rows = [r1('09:20', 'art', 9, true), r1('09:31', 'art', 5, true), r1('10:29', 'art', 3, false), r1('10:30', 'travel', 1, false)];
  rt.checkpoint = { offsets: {}, watermark: Date.parse('2026-12-02T10:30:10.000Z'), counters: {} };

  const first = await live.poll();
  // 09:30 to now in three 20-minute slices; 09:20 is older than the hour
  expect(rt.reads.map((r) => [r.from, r.to])).toEqual([
    [minute('09:30'), minute('09:50')],
    [minute('09:50'), minute('10:10')],
    [minute('10:10'), undefined],
  ]);
  expect(first).toEqual([{ metric: 'R1', replace: false, rows: [rt.rows[1], rt.rows[2], rt.rows[3]] }]);
  expect(live.streamWatermark).toBe(Date.parse('2026-12-02T10:30:10.000Z'));

  rt.reads = [];
  now += 300;
  expect(await live.poll()).toEqual([]);
  expect(rt.reads).toEqual([]);

  // consume-stream committed: 10:29 final, 10:30 grew; read from the window open at the older watermark on
  rt.rows = [rt.rows[0]!, rt.rows[1]!, r1('10:29', 'art', 3, true), r1('10:30', 'travel', 2, false)];
  rt.checkpoint = { offsets: {}, watermark: Date.parse('2026-12-02T10:30:15.000Z'), counters: {} };
  const next = await live.poll();
  expect(rt.reads).toEqual([{ metric: 'R1', from: minute('10:28') }]);
  expect(next).toEqual([{ metric: 'R1', replace: false, rows: [r1('10:29', 'art', 3, true), r1('10:30', 'travel', 2, false)] }]);
  expect(live.latest()).toEqual([{ metric: 'R1', minute: minute('10:30'), final: false, rows: 1, open: 1 }]);
});

test('the periodic full read replaces a metric whose windows were deleted; windows older than the hour leave', async () => {
  const rt = new FakeRealtime();
  let now = T0;
  const live = new LiveWindows(rt, [realtimeMetric('R1')], { group: 'g', joinWindowMs: 30_000, now: () => now, fullEveryMs: 60_000 });
  rt.rows = [r1('09:31', 'art', 5, true), r1('10:00', 'art', 7, true)];
  rt.checkpoint = { offsets: {}, watermark: T0 - 10_000, counters: {} };
  await live.poll();
  expect(live.rows('R1')).toHaveLength(2);

  rt.rows = [r1('10:00', 'quotes', 1, true)]; // the metric was reset and computed again
  now += 61_000; // 09:31 is now older than the hour as well
  const changes = await live.poll();
  expect(changes).toEqual([{ metric: 'R1', replace: true, rows: [r1('10:00', 'quotes', 1, true)] }]);
  expect(live.rows('R1')).toEqual([r1('10:00', 'quotes', 1, true)]);
});

test('no checkpoint yet: windows are still read at start, and no watermark is reported', async () => {
  const rt = new FakeRealtime();
  const live = new LiveWindows(rt, [realtimeMetric('R1'), realtimeMetric('R5')], { group: 'g', joinWindowMs: 30_000, now: () => T0 });
  expect(await live.poll()).toEqual([]);
  expect(live.streamWatermark).toBeNull();
  expect(new Set(rt.reads.map((r) => r.metric))).toEqual(new Set(['R1', 'R5']));
  expect(iso(T0)).toBe('2026-12-02T10:30:20.000Z');
});
