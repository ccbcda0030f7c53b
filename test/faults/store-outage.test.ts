/**
 * MySQL, then Redis, unreachable while consume-stream runs on the real stack and records keep
 * arriving: while a service is down consume-stream commits nothing (commit counter and checkpoint
 * stand still), reports the fault on GET /health (503) and in /metrics and its log, and when the
 * service returns it resumes; the views then equal those of an uninterrupted run on the same
 * input (no loss, no double counting). The outage is a cut of a loopback TCP proxy between
 * pinpipe and the service (lib/tcp-proxy.ts): connections refused and reset as with a stopped
 * server, while the shared server keeps running for other tests and keeps its data.
 */
import { afterAll, expect, test } from '@jest/globals';
import { createLog } from '../../src/connectors/registry.js';
import { RedisRealtime } from '../../src/connectors/realtime/redis.js';
import { loadConfig } from '../../src/core/config.js';
import { buildInput, produceInput, withClosingPosting, readViews, trickleInput } from './lib/postings.js';
import { exitWithin, killAll, startCli, waitForOutput } from './lib/proc.js';
import { waitFor } from '../support/wait.js';
import { hostPortOf, realEnv, realStack, type Stack } from './lib/stack.js';
import { startTcpProxy, type TcpProxy } from './lib/tcp-proxy.js';
import { ensureTopics } from '../../src/connectors/open.js';

const stacks: Stack[] = [];
const proxies: TcpProxy[] = [];
afterAll(async () => {
  await killAll();
  for (const p of proxies) await p.close();
  for (const s of stacks) await s.cleanup().catch(() => undefined);
}, 60_000);

const STREAM = { stream: { lateness: '60s' } };

async function health(base: string): Promise<{ status: number; body: Record<string, unknown>; commits: number; failures: number; healthy: number }> {
  const h = await fetch(`${base}/health`);
  const body = (await h.json()) as Record<string, unknown>;
  const m = await (await fetch(`${base}/metrics`)).text();
  const commits = Number(/^pinpipe_stream_commits_total (\d+)/m.exec(m)?.[1] ?? NaN);
  const failures = Number(/^pinpipe_stream_commit_failures_total (\d+)/m.exec(m)?.[1] ?? NaN);
  const healthy = Number(/^pinpipe_stream_healthy (\d+)/m.exec(m)?.[1] ?? NaN);
  return { status: h.status, body, commits, failures, healthy };
}

test('MySQL then Redis down mid-stream: no commit meanwhile, fault reported, resumed with views equal to an uninterrupted run', async () => {
  const env = realEnv();
  const mysql = await startTcpProxy(hostPortOf(env.mysql));
  const redis = await startTcpProxy(hostPortOf(env.redis));
  proxies.push(mysql, redis);
  const a = await realStack('store-a', { ...STREAM, metricsPort: 0 }, { mysql: mysql.address, redis: redis.address });
  stacks.push(a);
  const b = await realStack('store-b', STREAM);
  stacks.push(b);
  // a direct view of A's realtime store (not through the proxy), for the checkpoint
  const directRt = new RedisRealtime(
    loadConfig({
      env: {},
      flags: {
        dataDir: a.dataDir,
        'realtime.redis.url': env.redis,
        'realtime.redis.keyPrefix': (a.settings.realtime as { redis: { keyPrefix: string } }).redis.keyPrefix,
      },
    }),
  );
  await directRt.connect();

  // 12,000 postings over 12.5 minutes of record time, appended 3 s of record time every 250 ms,
  // then a closing posting 150 s later, so every window of the body is final in both runs
  const input = withClosingPosting(buildInput({ postings: 12_000, t0: Date.parse('2026-11-21T10:00:00.000Z'), stepMs: 62.5, duplicateEvery: 50 }));
  const logA = await createLog(a.cfg);
  const logB = await createLog(b.cfg);
  for (const [log, s] of [
    [logA, a],
    [logB, b],
  ] as const)
    await ensureTopics(log, s.cfg);
  const stream = startCli('A consume-stream', ['consume-stream', '--config', a.configFile]);
  const base = (await waitForOutput(stream, /"url":"(http:\/\/127\.0\.0\.1:\d+)\/metrics"/))[1]!;
  const progress = { appended: 0 };
  const feeding = trickleInput(logA, a.cfg.log.topicPrefix, input, { sliceMs: 3000, everyMs: 250, progress });

  const outages: Record<string, unknown>[] = [];
  for (const [name, proxy] of [
    ['mysql', mysql],
    ['redis', redis],
  ] as const) {
    // let the stream run normally first
    await waitFor(async () => (await health(base)).commits > 0 && progress.appended > 0, 'commits before the outage', 30_000);
    const running = (await health(base)).commits;
    await waitFor(async () => (await health(base)).commits >= running + 5, 'five more commits before the outage', 30_000, 100);
    const before = await health(base);
    expect({ name, status: before.status }).toEqual({ name, status: 200 });
    await proxy.down();
    const downAt = Date.now();
    // the fault shows on /health (503) and /metrics within a few seconds (a window must close first)
    const sick = await waitFor(
      async () => {
        const h = await health(base);
        return h.status === 503 ? h : null;
      },
      `/health to report the ${name} fault`,
      20_000,
    );
    expect({ name, body: sick.body, healthy: sick.healthy }).toEqual({
      name,
      body: expect.objectContaining({ status: 'unhealthy', commit: expect.any(String) }),
      healthy: 0,
    });
    // nothing is committed while the service is down: the commit counter and the checkpoint stand still
    const frozen = await health(base);
    const cp1 = JSON.stringify(await directRt.loadCheckpoint(a.cfg.stream.group));
    // the stream keeps trying: three more failed commits (retried with backoff) while the service is down
    await waitFor(async () => (await health(base)).failures >= frozen.failures + 3, `three more failed commits while ${name} is down`, 30_000, 100);
    const still = await health(base);
    const cp2 = JSON.stringify(await directRt.loadCheckpoint(a.cfg.stream.group));
    expect({ name, commits: still.commits, status: still.status }).toEqual({ name, commits: frozen.commits, status: 503 });
    if (name === 'mysql') expect(cp2).toBe(cp1); // (with Redis down the checkpoint cannot move by construction)
    await proxy.up();
    const upAt = Date.now();
    const healed = await waitFor(
      async () => {
        const h = await health(base);
        return h.status === 200 && h.commits > still.commits ? h : null;
      },
      `consume-stream to commit again after ${name} returned`,
      45_000,
    );
    outages.push({
      service: name,
      downSeconds: Math.round((upAt - downAt) / 1000),
      commitsFrozenAt: frozen.commits,
      recoveredInMs: Date.now() - upAt,
      commitsAfter: healed.commits,
    });
  }
  expect(stream.stderr()).toMatch(/commit failed; retrying/);
  expect(stream.stderr()).toMatch(/commit succeeded again/);
  expect(stream.done()).toBe(false);

  await feeding;
  // caught up means the closing posting was read: lag 0 alone can be a moment during the trickle
  // (the stream keeps up with it), and records not read before SIGTERM are not in A's views
  const caughtUpAt = new Date(input[input.length - 1]!.t - 60_000).toISOString(); // STREAM's lateness
  // caught up: lag 0 and the commit counter settled; then SIGTERM drains and exits 0
  await waitFor(
    async () => {
      const h = await health(base);
      return h.status === 200 && h.body.lag === 0 && typeof h.body.watermark === 'string' && h.body.watermark >= caughtUpAt;
    },
    'consume-stream to catch up (its watermark where the closing posting puts it)',
    60_000,
  );
  let last = -1;
  await waitFor(
    async () => {
      const { commits } = await health(base);
      const settled = commits === last;
      last = commits;
      return settled;
    },
    'the commit counter to settle',
    20_000,
    300,
  );
  stream.kill('SIGTERM');
  const e = await exitWithin(stream, 20_000);
  expect({ code: e.code, timedOut: e.timedOut }).toEqual({ code: 0, timedOut: false });

  // B: the same input at once, an uninterrupted run
  await produceInput(logB, b.cfg.log.topicPrefix, input);
  const ref = startCli('B consume-stream', ['consume-stream', '--until-idle', '--config', b.configFile]);
  const re = await exitWithin(ref, 90_000);
  expect({ code: re.code, stderr: re.code === 0 ? '' : ref.stderr().slice(-1500) }).toEqual({ code: 0, stderr: '' });

  await directRt.close();
  const va = await readViews(a.cfg);
  const vb = await readViews(b.cfg);
  const strip = (c: Record<string, number> | undefined, prefix: string) =>
    Object.fromEntries(
      Object.entries(c ?? {})
        .filter(([k]) => !k.startsWith('_'))
        .map(([k, v]) => [k.split(prefix).join(''), v]),
    );
  expect(va.realtime.length).toBeGreaterThan(0);
  expect(va.realtime).toEqual(vb.realtime);
  expect(va.serving).toEqual(vb.serving);
  expect(strip(va.checkpoint?.counters, a.cfg.log.topicPrefix)).toEqual(strip(vb.checkpoint?.counters, b.cfg.log.topicPrefix));
  process.stdout.write(
    `store outage: ${input.length} records, ${JSON.stringify(outages)}; views equal (${va.realtime.length} realtime rows, ${va.serving.length} serving rows); counters ${JSON.stringify(strip(va.checkpoint?.counters, a.cfg.log.topicPrefix))}\n`,
  );
}, 240_000);
