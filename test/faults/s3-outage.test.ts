/**
 * The S3 server unreachable while consume-batch runs on Kafka and records keep arriving: while it
 * is down, no committed offset of the group ever passes data that is not in the lake (checked
 * against the objects every 500 ms, through a direct connection), /health reports the lake fault;
 * when S3 returns the writer resumes, and after a SIGTERM drain the raw zone holds every log
 * offset exactly once. The outage is a cut of a loopback TCP proxy in front of the shared S3
 * server (lib/tcp-proxy.ts); moto keeps objects in memory only, so the server itself stays up.
 */
import { afterAll, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { S3Lake } from '../../src/connectors/lake/s3.js';
import type { Lake } from '../../src/connectors/lake/types.js';
import { parseRawChunkKey } from '../../src/pipeline/raw-keys.js';
import { createLog } from '../../src/connectors/registry.js';
import type { Log } from '../../src/connectors/log/types.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { TOPICS } from '../../src/core/records.js';
import { endOffsets } from './lib/logread.js';
import { buildInput, checkExactlyOnce, incompleteMarkers, trickleInput } from './lib/postings.js';
import { exitWithin, killAll, startCli, waitForOutput } from './lib/proc.js';
import { sleep, waitFor } from '../support/wait.js';
import { hostPortOf, realEnv, realStack, type Stack } from './lib/stack.js';
import { startTcpProxy, type TcpProxy } from './lib/tcp-proxy.js';
import { readRaw } from '../support/raw.js';
import { ensureTopics } from '../../src/connectors/open.js';

let stack: Stack | undefined;
let proxy: TcpProxy | undefined;
afterAll(async () => {
  await killAll();
  await proxy?.close();
  await stack?.cleanup().catch(() => undefined);
}, 60_000);

/** last offset of each raw object (objects are immutable: cached by key) */
const lastOffsets = new Map<string, number>();

/** per `<topic>:<partition>`: the first offset NOT covered by a contiguous run of objects from 0 */
async function covered(lake: Lake): Promise<Map<string, number>> {
  const byTp = new Map<string, { first: number; key: string }[]>();
  for (const o of await lake.list('raw/')) {
    const k = parseRawChunkKey(o.key);
    if (!k) continue;
    const tp = `${k.topic}:${k.partition}`;
    byTp.set(tp, [...(byTp.get(tp) ?? []), { first: k.firstOffset, key: o.key }]);
  }
  const out = new Map<string, number>();
  for (const [tp, objs] of byTp) {
    objs.sort((x, y) => x.first - y.first);
    let next = 0;
    for (const o of objs) {
      if (o.first !== next) break;
      if (!lastOffsets.has(o.key)) {
        const lines = gunzipSync((await lake.get(o.key))!)
          .toString('utf8')
          .trim()
          .split('\n');
        lastOffsets.set(o.key, (JSON.parse(lines[lines.length - 1]!) as { _offset: number })._offset);
      }
      next = lastOffsets.get(o.key)! + 1;
    }
    out.set(tp, next);
  }
  return out;
}

/** committed offsets of the batch group that pass what the lake holds */
async function committedPastLake(log: Log, cfg: Config, lake: Lake): Promise<string[]> {
  const admin = log.admin();
  const bad: string[] = [];
  try {
    const cov = await covered(lake);
    for (const t of TOPICS) {
      const offs = await admin.groupOffsets(cfg.batch.group, cfg.log.topicPrefix + t);
      offs.forEach((c, p) => {
        const have = cov.get(`${t}:${p}`) ?? 0;
        if (c > have) bad.push(`${t}:${p} committed ${c} but the lake holds offsets only below ${have}`);
      });
    }
  } finally {
    await admin.close();
  }
  return bad;
}

test('S3 down during consume-batch: no offset committed past unwritten data, /health degraded, resumed, exactly once', async () => {
  const env = realEnv();
  proxy = await startTcpProxy(hostPortOf(env.s3));
  stack = await realStack('s3-outage', { metricsPort: 0, batch: { chunkRecords: 2000, chunkSpan: '30s', idleFlush: '1s' } }, { s3: proxy.address });
  const s3 = stack.settings.lake as { s3: { bucket: string } };
  const direct = new S3Lake(
    loadConfig({
      env: {},
      flags: { dataDir: stack.dataDir, 'lake.kind': 's3', 'lake.s3.bucket': s3.s3.bucket, 'lake.s3.endpoint': env.s3, 'lake.s3.forcePathStyle': true },
    }),
  );
  const log = await createLog(stack.cfg);
  const prefix = stack.cfg.log.topicPrefix;
  await ensureTopics(log, stack.cfg);

  const input = buildInput({ postings: 6000, t0: Date.parse('2026-11-21T10:00:00.000Z'), stepMs: 100 });
  const batch = startCli('consume-batch', ['consume-batch', '--config', stack.configFile]);
  const base = (await waitForOutput(batch, /"url":"(http:\/\/127\.0\.0\.1:\d+)\/metrics"/, 60_000))[1]!;
  const feeding = trickleInput(log, prefix, input, { sliceMs: 5000, everyMs: 250 });
  await waitFor(async () => (await direct.list('raw/').catch(() => [])).length >= 6, 'the first objects', 60_000); // (the writer creates the bucket)

  await proxy.down();
  const downAt = Date.now();
  const checks: string[][] = [];
  let degraded: Record<string, unknown> | null = null;
  while (Date.now() - downAt < 10_000) {
    checks.push(await committedPastLake(log, stack.cfg, direct));
    const h = await fetch(`${base}/health`);
    if (h.status === 503) degraded = (await h.json()) as Record<string, unknown>;
    await sleep(500);
  }
  const objectsWhileDown = (await direct.list('raw/')).length;
  await proxy.up();
  expect(checks.flat()).toEqual([]);
  expect(degraded).toEqual(expect.objectContaining({ status: 'degraded', lake: expect.any(String) }));
  expect(batch.stderr()).toMatch(/lake write failed; retrying/);

  await feeding;
  // (a failure to catch up is reported at the end, after the rest of the evidence is in)
  const caughtUp = await waitFor(
    async () => {
      const h = await fetch(`${base}/health`);
      const body = (await h.json()) as { lag?: number };
      return h.status === 200 && body.lag === 0;
    },
    'consume-batch to catch up after S3 returned',
    45_000,
  ).then(
    () => true,
    () => false,
  );
  for (let i = 0; i < 3; i++) checks.push(await committedPastLake(log, stack.cfg, direct));
  const metrics = await (await fetch(`${base}/metrics`)).text();
  batch.kill('SIGTERM');
  const e = await exitWithin(batch, 20_000);
  writeFileSync(path.join(os.tmpdir(), 'pinpipe-faults-s3-outage.stderr.log'), batch.stderr()); // for a look after a failure
  expect({ code: e.code, timedOut: e.timedOut, stderr: e.code === 0 ? '' : batch.stderr().slice(-1500) }).toEqual({ code: 0, timedOut: false, stderr: '' });
  expect(checks.flat()).toEqual([]);
  // after the drain: no day marker for a day the lake does not hold in full
  const drained = await readRaw(direct);
  const badMarkers = incompleteMarkers(drained.objects, drained.markers, input);

  // a later run completes the raw zone: every log offset exactly once
  const again = startCli('consume-batch', ['consume-batch', '--until-idle', '--config', stack.configFile]);
  const ae = await exitWithin(again, 60_000);
  expect({ code: ae.code, stderr: ae.code === 0 ? '' : again.stderr().slice(-1500) }).toEqual({ code: 0, stderr: '' });
  const ends = await endOffsets(
    log,
    TOPICS.map((t) => prefix + t),
  );
  const { objects } = await readRaw(direct);
  const check = checkExactlyOnce(objects, new Map([...ends].map(([k, v]) => [k.slice(prefix.length), v])));
  process.stdout.write(
    `s3 outage: S3 down 10 s, ${checks.length} committed-vs-lake checks (${checks.flat().length} past the lake), ${objectsWhileDown} objects when it returned, caught up: ${caughtUp}; after the SIGTERM drain the lake held ${drained.objects.reduce((n, o) => n + o.lines.length, 0)} of ${input.length} records with markers ${JSON.stringify(drained.markers)}; after --until-idle ${JSON.stringify(check)}\n`,
  );
  expect({ caughtUp, badMarkers }).toEqual({ caughtUp: true, badMarkers: [] });
  expect(check).toEqual({ lines: input.length, objects: expect.any(Number), duplicates: 0, missing: 0, problems: [] });
  const committed = await committedPastLake(log, stack.cfg, direct);
  expect(committed).toEqual([]);
  const lakeErrors = Number(/^pinpipe_batch_lake_errors_total (\d+)/m.exec(metrics)?.[1] ?? NaN);
  expect(lakeErrors).toBeGreaterThan(0);
  await direct.close();
}, 200_000);
