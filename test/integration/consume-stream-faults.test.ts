/**
 * A failing realtime/serving store: while consume-stream runs, the embedded store file is made
 * unopenable (swapped for a directory under the store's own cross-process lock). Commits fail,
 * the checkpoint does not move, GET /health answers unhealthy and the commits are retried with
 * backoff; once the file is back, the run resumes without loss or double counting.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdirSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { withLock } from '../../src/core/lockfile.js';
import { publicCounters } from '../../src/pipeline/stream/checkpoint.js';
import { TestLog } from '../unit/stream-harness.js';
import { generate } from '../unit/stream-reference.js';
import { sleep, waitFor } from '../support/wait.js';
import { produce, readCheckpoint, readServing, readViews, recordsOf, requireBuild, runCli, spawnCli, tmpDir } from './consume-stream.helpers.js';

const cleanups: (() => void)[] = [];
beforeAll(() => requireBuild());
afterAll(() => cleanups.forEach((c) => c()));

test('store down: unhealthy, checkpoint held, retried; back up: no loss, no double counting', async () => {
  const gen = { seed: 61, postings: 600, span: 600, partitions: 1, disorder: 3 };
  const all = recordsOf(generate(gen));
  const first = recordsOf(generate({ ...gen, until: 300 }));
  const count = (rs: typeof all, t: string) => rs.filter((r) => r.type === t).length;
  const rest = ['pin', 'geo', 'user'].flatMap((t) => all.filter((r) => r.type === t).slice(count(first, t)));
  const a = tmpDir();
  const b = tmpDir();
  cleanups.push(a.cleanup, b.cleanup);

  await produce(a.dir, first, new TestLog(3));
  writeFileSync(`${a.dir}/cfg.json`, JSON.stringify({ metricsPort: 0 }));
  const { child, done } = spawnCli(a.dir, ['consume-stream', '--config', `${a.dir}/cfg.json`]);
  cleanups.unshift(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await waitFor(async () => /"url":"(http:\/\/127\.0\.0\.1:\d+)\/metrics"/.exec(stderr)?.[1] ?? null, 'the metrics url', 20_000, 50);
  const metrics = async () => (await fetch(`${url}/metrics`)).text();
  const recordsIn = async () => Number(/pinpipe_stream_records_total\{outcome="in"\} (\d+)/.exec(await metrics())?.[1] ?? -1);
  await waitFor(async () => publicCounters(await readCheckpoint(a.dir)).recordsIn === first.length, 'the first records committed', 20_000, 50);
  await sleep(1200); // an end-offsets check confirms every partition caught up

  // the store goes away: swap the file for a directory while holding the store lock
  await withLock(
    `${a.dir}/store.lock`,
    async () => {
      renameSync(`${a.dir}/store.db`, `${a.dir}/store.db.away`);
      mkdirSync(`${a.dir}/store.db`);
    },
    10_000,
  );
  await produce(a.dir, rest, new TestLog(3));
  const unhealthy = await waitFor(
    async () => {
      const res = await fetch(`${url}/health`);
      return res.status === 503 ? ((await res.json()) as Record<string, unknown>) : null;
    },
    'GET /health to fail',
    20_000,
    50,
  );
  expect(unhealthy).toMatchObject({ status: 'unhealthy', commit: expect.stringMatching(/REALTIME_UNAVAILABLE|STORE_UNAVAILABLE|Could not open/) });
  expect(await metrics()).toMatch(/^pinpipe_stream_healthy 0$/m);
  // several retries with backoff
  const failures = async () => Number(/^pinpipe_stream_commit_failures_total (\d+)$/m.exec(await metrics())?.[1]);
  await waitFor(async () => (await failures()) >= 2, 'two failed commits', 20_000, 50);
  expect(Number(/^pinpipe_stream_commit_failures_total (\d+)$/m.exec(await metrics())?.[1])).toBeGreaterThanOrEqual(2);

  // back up
  await withLock(
    `${a.dir}/store.lock`,
    async () => {
      rmdirSync(`${a.dir}/store.db`);
      renameSync(`${a.dir}/store.db.away`, `${a.dir}/store.db`);
    },
    10_000,
  );
  expect(stderr).toMatch(/"level":"warn".*commit failed; retrying, the checkpoint stays where it is/);
  await waitFor(async () => (await fetch(`${url}/health`)).status === 200, 'GET /health to recover', 20_000, 50);
  await waitFor(async () => (await recordsIn()) === all.length, 'every record', 20_000, 50);
  await sleep(1500); // an end-offsets check marks every partition caught up, then a commit
  child.kill('SIGTERM');
  expect((await done).code).toBe(0);

  // the same log consumed without any fault
  await produce(b.dir, first, new TestLog(3));
  await produce(b.dir, rest, new TestLog(3));
  expect((await runCli(b.dir, ['consume-stream', '--until-idle'])).code).toBe(0);
  const va = await readViews(a.dir);
  const vb = await readViews(b.dir);
  expect(publicCounters(va.checkpoint)).toEqual(publicCounters(vb.checkpoint));
  expect(va.rows).toEqual(vb.rows);
  expect(await readServing(a.dir)).toEqual(await readServing(b.dir));
}, 60_000);
