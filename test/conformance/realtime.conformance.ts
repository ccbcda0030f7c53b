/**
 * One conformance suite for every RealtimeStore (embedded SQLite, Redis). Each test gets a fresh,
 * empty store from setup(); reopen() gives a second, independent instance on the same data.
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import type { Checkpoint, RealtimeShape, RealtimeStore, WindowRow } from '../../src/connectors/realtime/types.js';
import { connectorHarness } from '../support/conformance.js';
import { BUILTIN } from '../support/metrics.js';

export interface RealtimeFixture {
  realtime: RealtimeStore;
  reopen(): RealtimeStore;
  cleanup(): Promise<void>;
}

const M = (hhmm: string) => `2026-11-27T${hhmm}:00.000Z`;
const r1 = (minute: string, key: string, postings: number, final = false): WindowRow => ({ metric: 'R1', minute, key, values: { postings }, final });
/** a metric with two key columns (a user's realtime metric file would give such a shape) */
const TWO_KEYS: RealtimeShape = {
  id: 'by_country_media',
  spec: {
    name: 'rt_by_country_media',
    columns: [
      ['minute', 'timestamp'],
      ['country', 'text'],
      ['media_type', 'text'],
      ['n', 'bigint'],
      ['mean', 'double'],
      ['final', 'bool'],
    ],
    key: ['minute', 'country', 'media_type'],
    rebuild: true,
  },
  keyColumns: ['country', 'media_type'],
  valueColumns: ['n', 'mean'],
};
export const METRICS: RealtimeShape[] = [...BUILTIN.realtime, TWO_KEYS];
const cp = (n: number): Checkpoint => ({
  offsets: { 'pin:0': n, 'pin:1': n + 1, 'geo:2': 0 },
  watermark: Date.parse(M('10:00')) + n,
  counters: { accepted: n * 10, late: 1, unmatched: 0 },
});

export function realtimeConformance(name: string, setup: () => Promise<RealtimeFixture>): void {
  describe(`RealtimeStore conformance: ${name}`, () => {
    const h = connectorHarness(
      setup,
      (fx) => fx.realtime,
      (r) => r.connect(METRICS),
    );
    let rt: RealtimeStore;
    beforeEach(() => void (rt = h.main));
    const reopen = () => h.track(h.fx.reopen());

    test('lifecycle: health() answers; close() may be called twice', async () => {
      await expect(rt.health()).resolves.toBeUndefined();
      await rt.close();
      await rt.close();
    });

    test('commit then read every metric, ordered by minute and key', async () => {
      const rows: WindowRow[] = [
        r1(M('10:01'), 'art', 2),
        r1(M('10:00'), 'travel', 5),
        r1(M('10:00'), 'art', 3),
        r1(M('10:00'), '', 1),
        { metric: 'R2', minute: M('10:00'), key: 'Albania', values: { postings: 7 }, final: false },
        { metric: 'R3', minute: M('10:00'), key: '18-24', values: { postings: 4 }, final: false },
        { metric: 'R4', minute: M('10:00'), key: '', values: { distinct_posters: 11 }, final: false },
        { metric: 'R5', minute: M('10:00'), key: '', values: { images: 3, videos: 0, stories: 1, mean_follower_count: 1234.5 }, final: false },
        { metric: 'R5', minute: M('10:01'), key: '', values: { images: 0, videos: 0, stories: 0, mean_follower_count: null }, final: true },
      ];
      await rt.commit('g', cp(1), rows);
      expect(await rt.read('R1')).toEqual([r1(M('10:00'), '', 1), r1(M('10:00'), 'art', 3), r1(M('10:00'), 'travel', 5), r1(M('10:01'), 'art', 2)]);
      expect(await rt.read('R2')).toEqual([rows[4]]);
      expect(await rt.read('R3')).toEqual([rows[5]]);
      expect(await rt.read('R4')).toEqual([rows[6]]);
      expect(await rt.read('R5')).toEqual([rows[7], rows[8]]);
    });

    test('replaying the same commit is idempotent; later commits hold absolute values', async () => {
      const rows = [r1(M('10:00'), 'art', 3), r1(M('10:00'), 'diy', 1)];
      await rt.commit('g', cp(5), rows);
      await rt.commit('g', cp(5), rows);
      await rt.commit('g', cp(5), rows);
      expect(await rt.read('R1')).toEqual(rows);
      expect(await rt.loadCheckpoint('g')).toEqual(cp(5));
      await rt.commit('g', cp(6), [r1(M('10:00'), 'art', 4)]);
      expect(await rt.read('R1')).toEqual([r1(M('10:00'), 'art', 4), r1(M('10:00'), 'diy', 1)]);
      expect(await rt.loadCheckpoint('g')).toEqual(cp(6));
    });

    test('checkpoints round-trip per group, also with no rows', async () => {
      expect(await rt.loadCheckpoint('nobody')).toBeNull();
      await rt.commit('a', cp(1), []);
      await rt.commit('b', { offsets: {}, watermark: 0, counters: {} }, []);
      expect(await rt.loadCheckpoint('a')).toEqual(cp(1));
      expect(await rt.loadCheckpoint('b')).toEqual({ offsets: {}, watermark: 0, counters: {} });
      await rt.commit('a', cp(2), []);
      expect(await rt.loadCheckpoint('a')).toEqual(cp(2));
      expect(await rt.loadCheckpoint('b')).toEqual({ offsets: {}, watermark: 0, counters: {} });
      expect(await rt.read('R1')).toEqual([]);
    });

    test('range reads are [from, to) on the minute', async () => {
      const rows = ['09:59', '10:00', '10:01', '10:02', '11:00'].map((m, i) => r1(M(m), 'art', i + 1));
      await rt.commit('g', cp(1), rows);
      expect(await rt.read('R1', { from: M('10:00'), to: M('10:02') })).toEqual([rows[1], rows[2]]);
      expect(await rt.read('R1', { from: M('10:01') })).toEqual(rows.slice(2));
      expect(await rt.read('R1', { to: M('10:00') })).toEqual([rows[0]]);
      expect(await rt.read('R1', { from: '2026-11-27T10:00:30.000Z', to: '2026-11-27T10:59:59.999Z' })).toEqual([rows[2], rows[3]]);
      expect(await rt.read('R1', { from: M('12:00') })).toEqual([]);
      expect(await rt.read('R2', { from: M('09:00') })).toEqual([]);
    });

    test('the final flag: an open window becomes final', async () => {
      await rt.commit('g', cp(1), [r1(M('10:00'), 'art', 2, false), r1(M('10:01'), 'art', 1, false)]);
      expect((await rt.read('R1')).map((r) => r.final)).toEqual([false, false]);
      await rt.commit('g', cp(2), [r1(M('10:00'), 'art', 3, true)]);
      expect(await rt.read('R1')).toEqual([r1(M('10:00'), 'art', 3, true), r1(M('10:01'), 'art', 1, false)]);
    });

    test('a reopened store sees the windows and the checkpoint', async () => {
      await rt.commit('g', cp(3), [r1(M('10:00'), 'art', 2, true)]);
      await rt.close();
      const again = reopen();
      await again.connect(METRICS);
      expect(await again.read('R1')).toEqual([r1(M('10:00'), 'art', 2, true)]);
      expect(await again.loadCheckpoint('g')).toEqual(cp(3));
    });

    test('a commit with a bad row stores nothing, not even the checkpoint', async () => {
      await expect(rt.commit('g', cp(1), [r1(M('10:00'), 'art', 1), r1('2026-11-27T10:00:30.000Z', 'art', 1)])).rejects.toThrow(/minute/);
      await expect(
        rt.commit('g', cp(1), [r1(M('10:00'), 'art', 1), { metric: 'R4', minute: M('10:00'), key: '', values: { postings: 1 }, final: false }]),
      ).rejects.toThrow(/postings/);
      await expect(rt.commit('g', cp(1), [{ metric: 'R9' as 'R1', minute: M('10:00'), key: '', values: {}, final: false }])).rejects.toThrow(/R9/);
      expect(await rt.read('R1')).toEqual([]);
      expect(await rt.loadCheckpoint('g')).toBeNull();
    });

    test('several key columns: the key is a JSON array of texts, one column each', async () => {
      const rows: WindowRow[] = [
        { metric: TWO_KEYS.id, minute: M('10:00'), key: JSON.stringify(['Chile', 'image']), values: { n: 2, mean: 10.5 }, final: false },
        { metric: TWO_KEYS.id, minute: M('10:00'), key: JSON.stringify(['', 'video']), values: { n: 1, mean: null }, final: true },
      ];
      await rt.commit('g', cp(1), rows);
      expect(await rt.read(TWO_KEYS.id)).toEqual([rows[1], rows[0]]);
      await expect(rt.commit('g', cp(2), [{ ...rows[0]!, key: 'Chile' }])).rejects.toThrow(/JSON array of 2 texts/);
      expect(await rt.loadCheckpoint('g')).toEqual(cp(1));
    });

    test('reset deletes every window of one metric and nothing else', async () => {
      await rt.commit('g', cp(1), [
        r1(M('10:00'), 'art', 2),
        r1(M('10:01'), 'diy', 1, true),
        { metric: 'R4', minute: M('10:00'), key: '', values: { distinct_posters: 3 }, final: false },
      ]);
      await rt.reset('R1');
      expect(await rt.read('R1')).toEqual([]);
      expect(await rt.read('R4')).toEqual([{ metric: 'R4', minute: M('10:00'), key: '', values: { distinct_posters: 3 }, final: false }]);
      expect(await rt.loadCheckpoint('g')).toEqual(cp(1));
      await rt.commit('g', cp(2), [r1(M('10:02'), 'art', 5)]);
      expect(await rt.read('R1')).toEqual([r1(M('10:02'), 'art', 5)]);
    });

    test('many windows in one commit', async () => {
      const base = Date.parse(M('00:00'));
      const rows = Array.from({ length: 3000 }, (_, i) =>
        r1(new Date(base + Math.floor(i / 3) * 60_000).toISOString(), ['art', 'diy', 'travel'][i % 3]!, i, i < 1500),
      );
      await rt.commit('g', cp(9), rows);
      const got = await rt.read('R1');
      expect(got.length).toBe(3000);
      expect(got).toEqual(rows);
      expect(await rt.read('R1', { from: new Date(base + 500 * 60_000).toISOString(), to: new Date(base + 502 * 60_000).toISOString() })).toEqual(
        rows.slice(1500, 1506),
      );
    });
  });
}
