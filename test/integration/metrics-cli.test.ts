/**
 * Metric files as a user runs them (the built CLI, embedded stack): `metrics check/list/show`,
 * consume-stream picking a new realtime metric up at restart from the current position,
 * batch-run backfilling it, `verify` finding the layers equal and then a stream row altered in the
 * store, and windows that close on a quiet pipeline.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EmbeddedRealtime } from '../../src/connectors/realtime/embedded.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { dayOf, minuteOf } from '../../src/core/time.js';
import { loadMetrics, type RealtimeMetric } from '../../src/metrics/registry.js';
import { readCatalog } from '../../src/metrics/state.js';
import { TestLog, geo, pin, type Rec } from '../unit/stream-harness.js';
import { generate } from '../unit/stream-reference.js';
import { within } from '../support/wait.js';
import { ROOT, configFor, produce, requireBuild, runCli, spawnCli, tmpDir } from './consume-stream.helpers.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/metrics');
const cleanups: (() => void)[] = [];
beforeAll(() => requireBuild());
afterAll(() => cleanups.forEach((c) => c()));

const withMetrics = { PINPIPE_METRICS_DIR: FIXTURES };

/** the records of each partition of `full` after the first `prefix` ones (the same seed's later records) */
function rest(full: TestLog, prefix: TestLog): Rec[] {
  const out: Rec[] = [];
  for (const [k, p] of full.parts) for (const value of p.values.slice(prefix.parts.get(k)!.values.length)) out.push({ type: p.topic as Rec['type'], value });
  return out;
}
const all = (log: TestLog): Rec[] => [...log.parts.values()].flatMap((p) => p.values.map((value) => ({ type: p.topic as Rec['type'], value })));

describe('metrics commands', () => {
  test('check: every file valid (exit 0); a refused file named with its line (exit 2)', async () => {
    const t = tmpDir();
    cleanups.push(t.cleanup);
    const ok = await runCli(t.dir, ['metrics', 'check'], 50_000, withMetrics);
    expect([ok.code, ok.stdout]).toEqual([0, `17 metric files valid (14 built-in, 3 in ${FIXTURES})\n`]);
    const bad = path.join(t.dir, 'm');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'mine.sql'), "-- kind: realtime\nSELECT category, count(*) AS n\nFROM pins\nWHERE title LIKE 'a%'\nGROUP BY category\n");
    const r = await runCli(t.dir, ['metrics', 'check', '--json'], 50_000, { PINPIPE_METRICS_DIR: bad });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      metrics: expect.any(Array),
      refused: [{ file: path.join(bad, 'mine.sql'), line: 4, reason: 'LIKE is not in the realtime subset (realtime subset: docs/metrics.md)' }],
    });
    // any command that reads the metrics refuses to start (exit 2), naming the file and line
    const q = await runCli(t.dir, ['query', '--metric', 'R1'], 50_000, { PINPIPE_METRICS_DIR: bad });
    expect([q.code, q.stderr]).toEqual([
      2,
      `pinpipe: METRIC_INVALID: ${path.join(bad, 'mine.sql')}:4: LIKE is not in the realtime subset (realtime subset: docs/metrics.md)\n`,
    ]);
    const unknown = await runCli(t.dir, ['metrics', 'show', 'nope'], 50_000, withMetrics);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown metric "nope": defined are Q1,');
  });

  test('list and show', async () => {
    const t = tmpDir();
    cleanups.push(t.cleanup);
    const list = await runCli(t.dir, ['metrics', 'list', '--json'], 50_000, withMetrics);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as { id: string; kind: string; file: string; builtin: boolean; last_computed: string | null; rows: number | null }[];
    expect(rows.map((r) => [r.id, r.kind, r.builtin])).toEqual([
      ...['Q1', 'Q2', 'Q3a', 'Q3b', 'Q4', 'Q5', 'Q6', 'Q7', 'Q8'].map((id) => [id, 'historical', true]),
      ...['R1', 'R2', 'R3', 'R4', 'R5'].map((id) => [id, 'realtime', true]),
      ['big_posters_by_country', 'realtime', false],
      ['media_per_minute', 'realtime', false],
      ['tag_by_category', 'historical', false],
    ]);
    expect(rows.find((r) => r.id === 'tag_by_category')).toMatchObject({ file: path.join(FIXTURES, 'tag_by_category.sql'), last_computed: null, rows: null });
    const show = await runCli(t.dir, ['metrics', 'show', 'big_posters_by_country'], 50_000, withMetrics);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('kind:     realtime');
    expect(show.stdout).toContain('inner join geo, left join users on ind');
    expect(show.stdout).toMatch(/mean_followers\s+double/);
    expect(show.stdout).toContain('FROM pin_matches WHERE geo_matched AND');
  });
});

describe('a new realtime metric, the stream, the batch layer and verify', () => {
  test('picked up at restart from the current position, backfilled, verified; an altered stream row is found', async () => {
    const t = tmpDir();
    cleanups.push(t.cleanup);
    const o = { seed: 31, postings: 1500, span: 900, partitions: 1, disorder: 3, inds: 60 };
    const full = generate(o);
    const first = generate({ ...o, until: 300 });
    // phase 1: the built-in metrics only
    await produce(t.dir, all(first), new TestLog(3));
    expect((await runCli(t.dir, ['consume-stream', '--until-idle'])).code).toBe(0);
    // phase 2: the team adds metric files; the stream picks the realtime ones up where it stands
    await produce(t.dir, rest(full, first), new TestLog(3));
    const stream = await runCli(t.dir, ['consume-stream', '--until-idle'], 50_000, withMetrics);
    expect({ code: stream.code, err: stream.code ? stream.stderr.slice(-2000) : '' }).toEqual({ code: 0, err: '' });
    expect(stream.stderr).toMatch(/new realtime metric media_per_minute: computed from the window 2026-11-27T10:0\d:00.000Z on/);
    const store = new EmbeddedStore(configFor(t.dir));
    const catalog = await readCatalog(store);
    const from = catalog.get('media_per_minute')!.streamFrom!;
    expect(from >= '2026-11-27T10:04:00.000Z' && from <= '2026-11-27T10:05:00.000Z').toBe(true);
    expect(catalog.get('R1')!.streamFrom).toBeNull(); // from the start of the log
    const set = await loadMetrics(configFor(t.dir), { dir: FIXTURES });
    const media = set.get('media_per_minute') as RealtimeMetric;
    const streamRows = await store.select(media.spec);
    expect(streamRows.length).toBeGreaterThan(20);
    expect(streamRows.every((r) => String(r.minute) >= from)).toBe(true);

    // the batch layer, then verify: every final window of every realtime metric agrees
    expect((await runCli(t.dir, ['consume-batch', '--until-idle'])).code).toBe(0);
    const batch = await runCli(t.dir, ['batch-run', '--date', '2026-11-27', '--json'], 50_000, withMetrics);
    expect({ code: batch.code, err: batch.code ? batch.stderr.slice(-2000) : '' }).toEqual({ code: 0, err: '' });
    const ok = await runCli(t.dir, ['verify', '--json'], 50_000, withMetrics);
    const v = JSON.parse(ok.stdout) as { differences: number; metrics: { metric: string; windows: number; rows: number; notes: string[] }[] };
    expect(v.differences).toBe(0);
    expect(ok.code).toBe(0);
    expect(v.metrics.map((x) => x.metric)).toEqual(['R1', 'R2', 'R3', 'R4', 'R5', 'big_posters_by_country', 'media_per_minute']);
    for (const x of v.metrics) expect(x.windows).toBeGreaterThanOrEqual(x.metric === 'media_per_minute' || x.metric === 'big_posters_by_country' ? 5 : 10);
    expect(v.metrics.find((x) => x.metric === 'media_per_minute')!.notes).toEqual([
      `the stream computes this definition from ${from}; earlier windows have batch results only`,
    ]);

    // a stream row altered in the store: verify names it and exits 1
    const r1 = set.get('R1') as RealtimeMetric;
    const victim = (await store.select(r1.spec, { final: true }))[3]!;
    await store.upsert(r1.spec, [{ ...victim, postings: Number(victim.postings) + 1 }]);
    const bad = await runCli(t.dir, ['verify', '--metric', 'r1'], 50_000, withMetrics);
    expect(bad.code).toBe(1);
    const key = r1.keyColumns[0]!;
    expect(bad.stdout).toContain(`R1: `);
    expect(bad.stdout).toContain('1 DIFFER');
    expect(bad.stdout).toContain(
      `  ${victim.minute} ${key}=${JSON.stringify(victim[key])}: stream postings=${Number(victim.postings) + 1} | batch postings=${victim.postings}`,
    );
    expect(bad.stdout).toContain('1 row(s) differ between the stream and the batch layer');
    await store.close();
  }, 180_000);
});

describe('a quiet pipeline', () => {
  test('windows become final within lateness + join window + seconds of their end, and the batch layer agrees', async () => {
    const t = tmpDir();
    cleanups.push(t.cleanup);
    const cfg = configFor(t.dir);
    // short lateness and join window, for the stream and for verify (which windows are final)
    const config = path.join(t.dir, 'quick.json');
    writeFileSync(config, JSON.stringify({ stream: { lateness: '2s', joinWindow: '2s' } }));
    const { child, done } = spawnCli(t.dir, ['consume-stream', '--config', config]);
    try {
      // postings stamped at the end of the last whole minute, as the API would have stamped them
      const m = minuteOf(Date.now()) - 60_000;
      const sec = (s: number) => (m - Date.parse('2026-11-27T10:00:00.000Z')) / 1000 + s;
      await produce(
        t.dir,
        [pin(1, sec(57), { category: 'quiet' }), geo(1, sec(57.5), { country: 'Chad' }), pin(2, sec(58), { category: 'quiet' })],
        new TestLog(3),
      );
      const realtime = new EmbeddedRealtime(cfg);
      await realtime.connect((await loadMetrics(cfg, { dir: null })).realtime);
      const minute = new Date(m).toISOString();
      let rows: Awaited<ReturnType<typeof realtime.read>> = [];
      await within(async () => (rows = await realtime.read('R1', { from: minute })).some((r) => r.final), 40_000, 250);
      expect(rows).toEqual([{ metric: 'R1', minute, key: 'quiet', values: { postings: 2 }, final: true }]);
      const r2 = await realtime.read('R2', { from: minute });
      expect(r2).toEqual([{ metric: 'R2', minute, key: 'Chad', values: { postings: 1 }, final: true }]);
    } finally {
      child.kill('SIGTERM');
      await done;
    }
    expect((await runCli(t.dir, ['consume-batch', '--until-idle'])).code).toBe(0);
    const day = dayOf(Date.now() - 60_000);
    expect((await runCli(t.dir, ['batch-run', '--date', day])).code).toBe(0);
    const v = await runCli(t.dir, ['verify', '--metric', 'R1', '--json', '--config', config]);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).metrics[0]).toMatchObject({ metric: 'R1', windows: 1, rows: 1, differences: [] });
  }, 90_000);
});
