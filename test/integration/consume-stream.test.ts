/**
 * consume-stream end to end on the embedded stack: stamped records with chosen ingested_at are
 * produced straight into the log, `pinpipe consume-stream --until-idle` runs as a subprocess, and
 * the realtime views, the serving store's rt_* tables, the dead letters and the counters are
 * checked against an independent reference computation.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { EmbeddedLog } from '../../src/connectors/log/embedded.js';
import type { ConsumedBatch } from '../../src/connectors/log/types.js';
import { publicCounters } from '../../src/pipeline/stream/checkpoint.js';
import { TestLog } from '../unit/stream-harness.js';
import { generate, reference } from '../unit/stream-reference.js';
import { sleep } from '../support/wait.js';
import { configFor, finalRowsByKey, produce, readServing, readViews, recordsOf, requireBuild, runCli, spawnCli, tmpDir } from './consume-stream.helpers.js';

const JOIN_WINDOW = 30_000;
const dirs: (() => void)[] = [];
const fresh = () => {
  const t = tmpDir();
  dirs.push(t.cleanup);
  return t.dir;
};
beforeAll(() => requireBuild());
afterAll(() => dirs.forEach((c) => c()));

describe('consume-stream --until-idle', () => {
  const gen = { seed: 21, postings: 400, span: 600, partitions: 1, disorder: 3 };
  const recs = recordsOf(generate(gen));
  const garbage = recs.filter((r) => r.value.startsWith('{not')).length;
  const dir = fresh();
  const mirror = new TestLog(3);
  let run: Awaited<ReturnType<typeof runCli>>;
  let views: Awaited<ReturnType<typeof readViews>>;

  beforeAll(async () => {
    await produce(dir, recs, mirror);
    run = await runCli(dir, ['consume-stream', '--until-idle']);
    views = await readViews(dir);
  }, 60_000);

  test('exits 0 with a summary on stdout', () => {
    expect(run.stderr).not.toMatch(/"level":"error"/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`consume-stream: ${recs.length} records in, \\d+ accepted, \\d+ duplicates, 0 late, ${garbage} dead-lettered`));
  });

  test('final windows equal the reference computed from the same log; later windows stay open', () => {
    const ref = reference(mirror, JOIN_WINDOW);
    const finalMinutes = new Set(views.rows.filter((r) => r.final).map((r) => r.minute));
    expect(finalMinutes.size).toBeGreaterThanOrEqual(7);
    const want = new Map([...ref].filter(([k]) => finalMinutes.has(k.split('|')[1]!)));
    expect(finalRowsByKey(views.rows)).toEqual(want);
    const open = views.rows.filter((r) => !r.final);
    expect(open.length).toBeGreaterThan(0);
    expect(Math.min(...open.map((r) => Date.parse(r.minute)))).toBeGreaterThan(Math.max(...[...finalMinutes].map((m) => Date.parse(m))));
  });

  test('final rows are also in the serving store rt_* tables', async () => {
    const serving = await readServing(dir);
    expect(serving.length).toBeGreaterThan(20);
    expect(serving).toEqual(views.rows.filter((r) => r.final));
  });

  test('records that fail cleaning are in the dead-letter topic with the reason', async () => {
    const log = new EmbeddedLog(configFor(dir));
    const consumer = log.consumer({ groupId: `dl-${process.pid}`, topics: ['deadletter'], fromBeginning: true });
    const got: Record<string, unknown>[] = [];
    await consumer.run({ eachBatch: async (b: ConsumedBatch) => void got.push(...b.records.map((r) => JSON.parse(r.value))) });
    for (let i = 0; i < 500 && got.length < garbage; i++) await sleep(20);
    await consumer.close();
    expect(garbage).toBeGreaterThan(0);
    expect(got).toHaveLength(garbage);
    for (const d of got)
      expect(d).toMatchObject({
        topic: 'pin',
        reason: 'value is not JSON',
        record: '{not json',
        partition: expect.any(Number),
        offset: expect.any(Number),
        at: expect.any(String),
      });
  });

  test('the checkpoint holds the counters and safe points; the log group shows everything read (no lag)', async () => {
    const c = publicCounters(views.checkpoint);
    expect(c.recordsIn).toBe(recs.length);
    expect(c.deadLettered).toBe(garbage);
    expect(c.accepted + c.duplicates + c.deadLettered).toBe(recs.length);
    expect(c.duplicates).toBeGreaterThan(0);
    expect(c.unmatchedGeo).toBeGreaterThan(0);
    const admin = new EmbeddedLog(configFor(dir)).admin();
    const committed = await admin.groupOffsets('pinpipe-stream', 'pin');
    const ends = await admin.endOffsets('pin');
    await admin.close();
    expect(committed).toEqual(ends);
    // the restart point is the checkpoint's safe points, at or below what was read
    [0, 1, 2].forEach((p) => expect(views.checkpoint!.offsets[`pin:${p}`]).toBeLessThanOrEqual(ends[p]!));
  });

  test('a second run with nothing new changes nothing', async () => {
    const again = await runCli(dir, ['consume-stream', '--until-idle']);
    expect(again.code).toBe(0);
    expect(await readViews(dir)).toEqual(views);
  });
});

describe('until-idle runs over a growing log', () => {
  test('two runs, with more records produced in between, end with the views of one run over all of it', async () => {
    const gen = { seed: 33, postings: 500, span: 500, partitions: 1, disorder: 3 };
    const all = recordsOf(generate(gen));
    const first = recordsOf(generate({ ...gen, until: 240 }));
    // per topic, the first run's records are a prefix of all records
    const firstCount = (t: string) => first.filter((r) => r.type === t).length;
    const rest = ['pin', 'geo', 'user'].flatMap((t) => all.filter((r) => r.type === t).slice(firstCount(t)));
    expect(first.every((r, i) => r.value === all.filter((a) => a.type === r.type)[first.slice(0, i).filter((f) => f.type === r.type).length]!.value)).toBe(
      true,
    );
    expect(first.length + rest.length).toBe(all.length);

    const one = fresh();
    await produce(one, all, new TestLog(3));
    const two = fresh();
    await produce(two, first, new TestLog(3));
    expect((await runCli(two, ['consume-stream', '--until-idle'])).code).toBe(0);
    const mid = await readViews(two);
    expect(mid.rows.some((r) => !r.final)).toBe(true); // open windows left open, not forced final
    await produce(two, rest, new TestLog(3));
    expect((await runCli(two, ['consume-stream', '--until-idle'])).code).toBe(0);
    expect((await runCli(one, ['consume-stream', '--until-idle'])).code).toBe(0);
    const a = await readViews(one);
    const b = await readViews(two);
    expect(b.rows).toEqual(a.rows);
    expect(publicCounters(b.checkpoint)).toEqual(publicCounters(a.checkpoint));
    expect(await readServing(two)).toEqual(await readServing(one));
  }, 60_000);
});

describe('consume-stream as a service', () => {
  test('health and Prometheus metrics while running; SIGTERM flushes, commits and exits 0', async () => {
    const dir = fresh();
    const recs = recordsOf(generate({ seed: 44, postings: 200, span: 300, partitions: 1, disorder: 2 }));
    await produce(dir, recs, new TestLog(3));
    writeFileSync(`${dir}/cfg.json`, JSON.stringify({ metricsPort: 0 }));
    const { child, done } = spawnCli(dir, ['consume-stream', '--config', `${dir}/cfg.json`]);
    dirs.unshift(() => child.kill('SIGKILL')); // never left running if an expectation fails
    let url: string | null = null;
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
      url ??= /"url":"(http:\/\/127\.0\.0\.1:\d+)\/metrics"/.exec(stderr)?.[1] ?? null;
    });
    let metrics = '';
    for (let i = 0; i < 600; i++) {
      await sleep(50);
      if (!url) continue;
      metrics = await (await fetch(`${url}/metrics`)).text();
      // every record read and at least one commit (the first flush may come after the last read)
      if (metrics.includes(`pinpipe_stream_records_total{outcome="in"} ${recs.length}`) && /^pinpipe_stream_commits_total [1-9]\d*$/m.test(metrics)) break;
    }
    expect(url).not.toBeNull();
    expect(metrics).toContain(`pinpipe_stream_records_total{outcome="in"} ${recs.length}`);
    expect(metrics).toMatch(/^pinpipe_stream_healthy 1$/m);
    expect(metrics).toMatch(/^pinpipe_stream_commits_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^# TYPE pinpipe_stream_consumer_lag gauge$/m);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', commit: 'ok' });
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    child.kill('SIGTERM');
    const res = await done;
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`consume-stream: ${recs.length} records in`);
    const { checkpoint } = await readViews(dir);
    expect(publicCounters(checkpoint).recordsIn).toBe(recs.length);
  }, 55_000);
});
