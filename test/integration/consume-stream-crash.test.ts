/**
 * consume-stream is effectively once: SIGKILL it mid-run several times and restart it; the
 * realtime views, the serving store's rt_* rows and the counters must equal those of an
 * uninterrupted run over a copy of the same log.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { cpSync } from 'node:fs';
import { publicCounters } from '../../src/pipeline/stream/checkpoint.js';
import { TestLog } from '../unit/stream-harness.js';
import { generate, reference } from '../unit/stream-reference.js';
import { sleep } from '../support/wait.js';
import {
  ROOT,
  finalRowsByKey,
  readCheckpoint,
  produce,
  readServing,
  readViews,
  recordsOf,
  requireBuild,
  runCli,
  spawnCli,
  tmpDir,
} from './consume-stream.helpers.js';
import path from 'node:path';
import { loadMetrics } from '../../src/metrics/registry.js';
import { configFor } from './consume-stream.helpers.js';

/** with users' realtime metric files defined too (test/fixtures/metrics) */
const METRIC_ENV = { PINPIPE_METRICS_DIR: path.join(ROOT, 'test/fixtures/metrics') };

const cleanups: (() => void)[] = [];
beforeAll(() => requireBuild());
afterAll(() => cleanups.forEach((c) => c()));

test('SIGKILL mid-run and restart, several times: the views equal an uninterrupted run', async () => {
  const recs = recordsOf(generate({ seed: 7, postings: 10000, span: 1200, partitions: 1, disorder: 3 }));
  const a = tmpDir();
  const b = tmpDir();
  cleanups.push(a.cleanup, b.cleanup);
  const mirror = new TestLog(3);
  await produce(a.dir, recs, mirror);
  cpSync(a.dir, b.dir, { recursive: true });

  const whole = await runCli(a.dir, ['consume-stream', '--until-idle'], 50_000, METRIC_ENV);
  expect(whole.code).toBe(0);

  // kill each run shortly after it committed progress, at varying delays, until five kills hit a
  // running process (a run that finishes the backlog before its kill ends the loop early)
  const progress = async () => publicCounters(await readCheckpoint(b.dir)).recordsIn;
  const kills: { killed: boolean; recordsIn: number }[] = [];
  const delays = [0, 20, 0, 60, 30];
  for (let i = 0; i < 10 && kills.filter((k) => k.killed).length < delays.length; i++) {
    const extra = delays[i % delays.length]!;
    const before = await progress();
    const { child, done } = spawnCli(b.dir, ['consume-stream', '--until-idle'], METRIC_ENV);
    let exited = false;
    void done.then(() => (exited = true));
    while (!exited && (await progress()) <= before) await sleep(60);
    await sleep(extra);
    child.kill('SIGKILL');
    const res = await done;
    const { checkpoint } = await readViews(b.dir);
    kills.push({ killed: res.signal === 'SIGKILL', recordsIn: publicCounters(checkpoint).recordsIn });
  }
  process.stderr.write(`kills: ${JSON.stringify(kills)}\n`);
  const last = await runCli(b.dir, ['consume-stream', '--until-idle'], 50_000, METRIC_ENV);
  expect({ code: last.code, stderr: last.code === 0 ? '' : last.stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });

  // the kills hit running processes, some after a partial commit
  expect(kills.filter((k) => k.killed).length).toBeGreaterThanOrEqual(3);
  expect(kills.some((k) => k.killed && k.recordsIn > 0 && k.recordsIn < recs.length)).toBe(true);

  const set = await loadMetrics(configFor(a.dir), { dir: METRIC_ENV.PINPIPE_METRICS_DIR });
  const va = await readViews(a.dir, set);
  const vb = await readViews(b.dir, set);
  // the users' metrics were computed (and compared below with the built-in ones)
  expect(vb.rows.filter((r) => r.metric === 'media_per_minute' && r.final).length).toBeGreaterThan(10);
  expect(vb.rows.filter((r) => r.metric === 'big_posters_by_country' && r.final).length).toBeGreaterThan(10);
  expect(vb.rows.length).toBeGreaterThan(100);
  expect(vb.rows).toEqual(va.rows);
  expect(publicCounters(vb.checkpoint)).toEqual(publicCounters(va.checkpoint));
  expect(vb.checkpoint!.watermark).toBe(va.checkpoint!.watermark);
  expect(await readServing(b.dir, set)).toEqual(await readServing(a.dir, set));

  // and both equal the reference for the final windows
  const finalMinutes = new Set(va.rows.filter((r) => r.final).map((r) => r.minute));
  const want = new Map([...reference(mirror, 30_000)].filter(([k]) => finalMinutes.has(k.split('|')[1]!)));
  expect(finalRowsByKey(vb.rows.filter((r) => /^R[1-5]$/.test(r.metric)))).toEqual(want);
}, 60_000);
