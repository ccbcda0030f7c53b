/**
 * One realtime metric file, two evaluations: for property-generated metric definitions (one
 * stream or pins joined to geo and/or users, WHERE, GROUP BY, FILTER, DISTINCT, CASE, the six
 * aggregates) over property-generated logs (dirty values, re-posted records with the same
 * event_id, disorder within the lateness, partners near and far, poison values, and records that
 * arrive late), the stream processor's final windows equal what batch-run computes from the raw
 * zone, window for window, except the windows a late record touches (the stream leaves late
 * records to the batch layer), which `verify`'s comparison then finds.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { toTableRow } from '../../src/connectors/realtime/rows.js';
import type { WindowRow } from '../../src/connectors/realtime/types.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import type { Row } from '../../src/core/tables.js';
import { dayOf, hourOf, minuteOf } from '../../src/core/time.js';
import { streamMetrics } from '../../src/metrics/realtime/stream.js';
import { loadMetrics, type RealtimeMetric } from '../../src/metrics/registry.js';
import { compareRows } from '../../src/metrics/verify.js';
import { metricFromLake } from '../../src/pipeline/batch-run/metric.js';
import { StreamProcessor } from '../../src/pipeline/stream/processor.js';
import { OPTS, View, at, drive, pin, type TestLog } from './stream-harness.js';
import { generate } from './stream-reference.js';

let cfg: Config;
beforeAll(() => {
  cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-layers-')) } });
});
afterAll(() => rmSync(cfg.dataDir, { recursive: true, force: true }));

interface Source {
  from: string;
  /** text columns to group by, numeric and text columns for aggregates and conditions */
  keys: string[];
  nums: string[];
  conds: string[];
}

const SOURCES: Source[] = [
  {
    from: 'pins',
    keys: ['category', 'media_type'],
    nums: ['follower_count'],
    conds: ["category IN ('art', 'food')", 'follower_count > 500', 'media_type IS NULL', "NOT (category = 'travel')", 'downloaded'],
  },
  { from: 'geo', keys: ['country'], nums: ['latitude', 'longitude'], conds: ["country <> 'France'", 'country IS NOT NULL', 'latitude BETWEEN 0 AND 5'] },
  {
    from: 'users',
    keys: ['age_group', 'user_name'],
    nums: ['age'],
    conds: ['age >= 30', "age_group IN ('18-24', '50+') OR user_name IS NULL", "user_name < 'Bo'"],
  },
  {
    from: 'pins p JOIN geo g ON g.ind = p.ind',
    keys: ['g.country', 'p.category'],
    nums: ['p.follower_count', 'g.latitude'],
    conds: ["g.country IN ('Chad', 'France')", 'p.follower_count IS NOT NULL', 'p.category <> g.country'],
  },
  {
    from: 'pins p JOIN users u ON u.ind = p.ind',
    keys: ['u.age_group'],
    nums: ['u.age', 'p.follower_count'],
    conds: ['u.age * 100 > p.follower_count', "u.user_name IS NULL OR p.media_type = 'video'"],
  },
  {
    from: 'pins p JOIN geo g ON g.ind = p.ind JOIN users u ON u.ind = p.ind',
    keys: ['u.age_group', 'g.country'],
    nums: ['u.age'],
    conds: ["g.country <> 'Chad' AND u.age < 60"],
  },
  {
    from: 'pins p LEFT JOIN users u ON u.ind = p.ind',
    keys: ['u.age_group', 'p.media_type'],
    nums: ['u.age', 'p.follower_count'],
    conds: ['u.age IS NULL', "p.category = 'art' AND u.age > 40", "coalesce(u.age_group, 'none') <> '25-35'"],
  },
  {
    from: 'pins p JOIN geo g ON g.ind = p.ind LEFT JOIN users u ON u.ind = p.ind',
    keys: ['g.country', 'u.age_group'],
    nums: ['p.follower_count', 'u.age'],
    conds: ["g.country = 'Albania' OR u.age < 30", 'u.user_name IS NOT NULL', 'p.follower_count BETWEEN 0 AND 2000'],
  },
];

const metricArb = fc
  .integer({ min: 0, max: SOURCES.length - 1 })
  .chain((si) => {
    const s = SOURCES[si]!;
    const num = fc.constantFrom(...s.nums);
    const cond = fc.constantFrom(...s.conds);
    const agg = fc.oneof(
      fc.constant('count(*)'),
      num.map((c) => `count(${c})`),
      fc.constantFrom(...s.keys).map((c) => `count(DISTINCT ${c})`),
      fc.tuple(fc.constantFrom('sum', 'avg', 'min', 'max'), num).map(([f, c]) => `${f}(${c})`),
      num.map((c) => `sum(DISTINCT ${c})`),
      cond.map((c) => `count(*) FILTER (WHERE ${c})`),
      fc.tuple(cond, num).map(([c, n]) => `sum(CASE WHEN ${c} THEN ${n} ELSE 0 END)`),
      fc.tuple(num, fc.integer({ min: 1, max: 9 })).map(([n, k]) => `avg(${n} * ${k} - 1.5) FILTER (WHERE ${n} IS NOT NULL)`),
    );
    return fc.record({
      from: fc.constant(s.from),
      keys: fc.subarray(s.keys, { maxLength: Math.min(2, s.keys.length) }),
      where: fc.option(cond, { nil: undefined }),
      aggs: fc.array(agg, { minLength: 1, maxLength: 3 }),
      ratio: fc.boolean(),
    });
  })
  .map((m) => {
    const values = m.aggs.map((a, i) => `${a} AS v${i}`);
    if (m.ratio) values.push('count(*) * 1.0 / 2 AS half');
    return `-- kind: realtime\nSELECT ${[...m.keys, ...values].join(', ')}\nFROM ${m.from}${m.where ? `\nWHERE ${m.where}` : ''}${m.keys.length ? `\nGROUP BY ${m.keys.join(', ')}` : ''}\n`;
  });

/** the log's records as raw chunks in a local lake (consume-batch's layout and stamps) */
function writeRawZone(lakeRoot: string, log: TestLog): void {
  rmSync(path.join(lakeRoot, 'raw'), { recursive: true, force: true });
  for (const p of log.parts.values()) {
    const groups = new Map<string, { first: number; lines: string[]; dir: string }>();
    p.values.forEach((value, offset) => {
      let line = value;
      let t = Date.parse('2026-11-27T10:00:00Z');
      try {
        const v = JSON.parse(value) as Record<string, unknown>;
        t = Date.parse(String(v.ingested_at));
        line = JSON.stringify({ ...v, _partition: p.partition, _offset: offset });
      } catch {
        // a poison value is kept as it was written
      }
      const dir = path.join(lakeRoot, 'raw', p.topic, `dt=${dayOf(t)}`, `hr=${hourOf(t)}`);
      const g = groups.get(dir) ?? { first: offset, lines: [], dir };
      g.lines.push(line);
      groups.set(dir, g);
    });
    for (const g of groups.values()) {
      mkdirSync(g.dir, { recursive: true });
      writeFileSync(path.join(g.dir, `${p.topic}+${p.partition}+${String(g.first).padStart(10, '0')}.ndjson.gz`), gzipSync(g.lines.join('\n') + '\n'));
    }
  }
}

/** every final window row of a non-empty group the stream wrote to the serving store */
class FinalRows extends View {
  readonly final: WindowRow[] = [];
  override commit(proc: StreamProcessor): boolean {
    const snap = proc.snapshot();
    if (!snap) return false;
    this.final.push(...snap.finalRows);
    return true;
  }
}

test('stream == batch for generated realtime metrics over generated logs, but for windows of late records', async () => {
  const dir = path.join(cfg.dataDir, 'metrics');
  mkdirSync(dir, { recursive: true });
  const lake = new LocalLake(cfg);
  let compared = 0;
  let lateCounted = 0;
  await fc.assert(
    fc.asyncProperty(metricArb, fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 4 }), async (sql, seed, late) => {
      writeFileSync(path.join(dir, 'gen.sql'), sql);
      const set = await loadMetrics(cfg, { dir });
      const metric = set.get('gen') as RealtimeMetric;

      const log = generate({ seed, postings: 120, span: 240, partitions: 2, disorder: 4, inds: 25 });
      // records that arrive after the watermark passed them: counted late by the stream
      const lateAt: number[] = [];
      for (let i = 0; i < late; i++) {
        const t = 30 + ((seed * (i + 7)) % 150);
        log.append([pin(3 + i, t, { id: `late-${seed}-${i}`, category: 'art', followers: '900' })], i % 2);
        lateAt.push(Date.parse(at(t)));
      }

      const view = new FinalRows();
      const proc = new StreamProcessor({ ...OPTS, metrics: { runtimes: streamMetrics(set).runtimes.filter((r) => r.id === 'gen'), layout: set.layout } });
      drive(proc, log, view, { seed });
      // a quiet pipeline: event time goes on with the clock, every window becomes final
      proc.observeEnds(log.ends(), 0);
      proc.observeEnds(log.ends(), 86_400_000);
      view.commit(proc);
      lateCounted += proc.counters.late;

      writeRawZone(path.join(cfg.dataDir, 'lake'), log);
      const batch = (await metricFromLake(cfg, lake, metric, { workers: 0 })).rows as Row[];
      const stream = view.final.map((r) => toTableRow(metric, r));

      // a late record changes its own window and the windows of pins it may partner
      const touched = new Set(
        lateAt.flatMap((t) => [minuteOf(t - OPTS.joinWindow), minuteOf(t), minuteOf(t + OPTS.joinWindow)].map((m) => new Date(m).toISOString())),
      );
      const cmp = compareRows(metric, stream, batch);
      const wrong = cmp.differences.filter((d) => !touched.has(d.minute));
      if (wrong.length) throw new Error(`${sql}\nseed ${seed}: ${wrong.length} windows differ, e.g. ${JSON.stringify(wrong.slice(0, 3))}`);
      compared += cmp.rows;
    }),
    { numRuns: 30, seed: 42 },
  );
  expect(compared).toBeGreaterThan(200);
  // the late path was taken (a late record is not late when its partition is read ahead of the others)
  expect(lateCounted).toBeGreaterThan(0);
}, 180_000);
