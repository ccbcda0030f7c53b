/**
 * SIGTERM to every long-running role while it works (embedded stack): api, emulate,
 * consume-batch, consume-stream and up each drain what is in flight, flush, commit and exit 0
 * within a bound (15 s; 60 s for `up`, which drains four roles in turn and then runs a last
 * batch-run), and what they acknowledged or committed before exiting is really there.
 */
import { afterAll, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createLog } from '../../src/connectors/registry.js';
import { DEAD_LETTER_TOPIC, TOPICS } from '../../src/core/records.js';
import { freePort } from '../support/net.js';
import { endOffsets, readAll, total } from './lib/logread.js';
import { buildInput, checkExactlyOnce, produceInput, withClosingPosting, readLake, readViews } from './lib/postings.js';
import { exitWithin, killAll, startApi, startCli, waitForOutput, type Proc } from './lib/proc.js';
import { waitFor } from '../support/wait.js';
import { startRecordingProxy, type RecordingProxy } from './lib/record-proxy.js';
import { embeddedStack, type Stack } from './lib/stack.js';
import type { RawObject } from '../support/raw.js';

const BOUND_MS = 15_000;
const stacks: Stack[] = [];
const proxies: RecordingProxy[] = [];
afterAll(async () => {
  await killAll();
  for (const p of proxies) await p.close();
  for (const s of stacks) await s.cleanup();
}, 60_000);

function stack(name: string, extra: Record<string, unknown> = {}): Stack {
  const s = embeddedStack(name, extra);
  stacks.push(s);
  return s;
}

const eventIds = async (s: Stack) => (await readAll(await createLog(s.cfg), [...TOPICS])).map((r) => (JSON.parse(r.value) as { event_id: string }).event_id);

test('api: SIGTERM under load answers what is in flight, exits 0 in time; every 2xx record is in the log', async () => {
  const s = stack('sigterm-api');
  const { proc: api, url } = await startApi(['--config', s.configFile]);
  const proxy = await startRecordingProxy(url);
  proxies.push(proxy);
  const emulate = startCli('emulate', [
    'emulate',
    '--api',
    proxy.url,
    '--count',
    '0',
    '--rate',
    '0',
    '--concurrency',
    '16',
    '--seed',
    '3',
    '--config',
    s.configFile,
  ]);
  await waitFor(() => proxy.log.filter((e) => e.status === 201).length > 2000, '2000 accepted records', 30_000);
  api.kill('SIGTERM');
  const e = await exitWithin(api, BOUND_MS);
  expect({ code: e.code, timedOut: e.timedOut, stderr: e.code === 0 ? '' : api.stderr().slice(-1500) }).toEqual({ code: 0, timedOut: false, stderr: '' });
  emulate.kill('SIGKILL');
  const acked = proxy.log.flatMap((x) => x.eventIds);
  const inLog = new Set(await eventIds(s));
  expect(acked.filter((id) => !inLog.has(id))).toEqual([]);
  process.stdout.write(`sigterm api: exit ${e.code} in ${e.ms} ms with ${acked.length} records acknowledged, all in the log (${inLog.size})\n`);
}, 60_000);

test('emulate: SIGTERM stops posting, finishes the requests in flight, exits 0 in time; the log holds exactly what it counted', async () => {
  const s = stack('sigterm-emulate');
  const { url } = await startApi(['--config', s.configFile]);
  const emulate = startCli('emulate', [
    'emulate',
    '--api',
    url,
    '--count',
    '0',
    '--rate',
    '300',
    '--concurrency',
    '8',
    '--seed',
    '4',
    '--json',
    '--config',
    s.configFile,
  ]);
  const inLog = await createLog(s.cfg);
  await waitFor(async () => total(await endOffsets(inLog, [...TOPICS])) >= 600, 'the first 200 postings in the log', 30_000, 100);
  emulate.kill('SIGTERM');
  const e = await exitWithin(emulate, BOUND_MS);
  expect({ code: e.code, timedOut: e.timedOut, stderr: e.code === 0 ? '' : emulate.stderr().slice(-1500) }).toEqual({ code: 0, timedOut: false, stderr: '' });
  const summary = JSON.parse(emulate.stdout().trim().split('\n').pop() ?? '{}') as Record<string, number>;
  expect(summary).toEqual(expect.objectContaining({ failed: 0, rejected: 0, duplicates: 0 }));
  expect(summary.postings).toBeGreaterThan(100);
  expect(summary.accepted).toBe(summary.postings * 3);
  expect(total(await endOffsets(await createLog(s.cfg), [...TOPICS]))).toBe(summary.accepted);
  process.stdout.write(`sigterm emulate: exit ${e.code} in ${e.ms} ms, ${summary.postings} postings, ${summary.accepted} records accepted = in the log\n`);
}, 60_000);

/** offsets of each partition covered contiguously from 0 by the raw objects */
function coveredByLake(objects: RawObject[]): Map<string, number> {
  const by = new Map<string, RawObject[]>();
  for (const o of objects) by.set(`${o.topic}:${o.partition}`, [...(by.get(`${o.topic}:${o.partition}`) ?? []), o]);
  const out = new Map<string, number>();
  for (const [tp, objs] of by) {
    objs.sort((a, b) => a.firstOffset - b.firstOffset);
    let next = 0;
    for (const o of objs) if (o.firstOffset === next) next = o.lines[o.lines.length - 1]!._offset + 1;
    out.set(tp, next);
  }
  return out;
}

const INPUT = { postings: 50_000, t0: Date.parse('2026-11-22T08:00:00.000Z'), stepMs: 72 };

/** mid-run: wait until the role's GET /metrics (metricsPort 0: its URL is logged) counts at least n records read */
async function readAtLeast(p: Proc, counter: RegExp, n: number): Promise<void> {
  const base = (await waitForOutput(p, /"url":"(http:\/\/127\.0\.0\.1:\d+)\/metrics"/))[1]!;
  await waitFor(async () => Number(counter.exec(await (await fetch(`${base}/metrics`)).text())?.[1] ?? 0) >= n, `${p.name} to read ${n} records`, 30_000, 50);
}

test('consume-batch: SIGTERM mid-run flushes the open chunks and commits exactly what is written; exit 0 in time', async () => {
  // idleFlush 1 h: chunks stay open until the drain closes them
  const s = stack('sigterm-batch', { metricsPort: 0, batch: { chunkRecords: 20_000, chunkSpan: '5m', idleFlush: '1h' } });
  const log = await createLog(s.cfg);
  await produceInput(log, '', buildInput(INPUT));
  const batch = startCli('consume-batch', ['consume-batch', '--config', s.configFile]);
  await waitFor(() => /"msg":"consuming"/.test(batch.stderr()), 'consume-batch to consume', 30_000);
  await readAtLeast(batch, /^pinpipe_batch_records_in_total (\d+)/m, 20_000);
  batch.kill('SIGTERM');
  const e = await exitWithin(batch, BOUND_MS);
  expect({ code: e.code, timedOut: e.timedOut, stderr: e.code === 0 ? '' : batch.stderr().slice(-1500) }).toEqual({ code: 0, timedOut: false, stderr: '' });
  const { objects } = await readLake(s.cfg);
  const cov = coveredByLake(objects);
  const admin = log.admin();
  const committed = new Map<string, number>();
  for (const t of TOPICS) (await admin.groupOffsets(s.cfg.batch.group, t)).forEach((c, p) => committed.set(`${t}:${p}`, c));
  await admin.close();
  // every partition read so far was flushed and committed up to exactly what the lake holds
  for (const [tp, c] of committed) expect({ tp, committed: Math.max(c, 0) }).toEqual({ tp, committed: cov.get(tp) ?? 0 });
  expect([...committed.values()].some((c) => c > 0)).toBe(true);
  // and a later run completes the raw zone exactly once
  const again = startCli('consume-batch', ['consume-batch', '--until-idle', '--config', s.configFile]);
  expect((await exitWithin(again, 60_000)).code).toBe(0);
  const ends = await endOffsets(log, [...TOPICS]);
  expect(checkExactlyOnce((await readLake(s.cfg)).objects, ends)).toEqual({
    lines: total(ends),
    objects: expect.any(Number),
    duplicates: 0,
    missing: 0,
    problems: [],
  });
  process.stdout.write(`sigterm consume-batch: exit ${e.code} in ${e.ms} ms; committed ${JSON.stringify(Object.fromEntries(committed))} = lake\n`);
}, 120_000);

test('consume-stream: SIGTERM mid-run commits its views and checkpoint, exit 0 in time; a restart ends with the views of an uninterrupted run', async () => {
  const a = stack('sigterm-stream-a', { metricsPort: 0 });
  const b = stack('sigterm-stream-b');
  // a closing posting: every window of the body final in both runs, however long A sat idle (postings.ts)
  const input = withClosingPosting(buildInput(INPUT));
  await produceInput(await createLog(a.cfg), '', input);
  await produceInput(await createLog(b.cfg), '', input);
  const ref = startCli('B consume-stream', ['consume-stream', '--until-idle', '--config', b.configFile]);
  expect((await exitWithin(ref, 60_000)).code).toBe(0);

  const stream = startCli('consume-stream', ['consume-stream', '--config', a.configFile]);
  await waitFor(() => /"msg":"consuming"/.test(stream.stderr()), 'consume-stream to consume', 30_000);
  await readAtLeast(stream, /^pinpipe_stream_records_total\{outcome="in"\} (\d+)/m, 20_000);
  stream.kill('SIGTERM');
  const e = await exitWithin(stream, BOUND_MS);
  expect({ code: e.code, timedOut: e.timedOut, stderr: e.code === 0 ? '' : stream.stderr().slice(-1500) }).toEqual({ code: 0, timedOut: false, stderr: '' });
  const mid = await readViews(a.cfg);
  expect(mid.checkpoint).not.toBeNull();
  const again = startCli('consume-stream', ['consume-stream', '--until-idle', '--config', a.configFile]);
  expect((await exitWithin(again, 60_000)).code).toBe(0);
  const va = await readViews(a.cfg);
  const vb = await readViews(b.cfg);
  expect(va.realtime).toEqual(vb.realtime);
  expect(va.serving).toEqual(vb.serving);
  expect(va.checkpoint?.counters).toEqual(vb.checkpoint?.counters);
  process.stdout.write(
    `sigterm consume-stream: exit ${e.code} in ${e.ms} ms (checkpoint at ${mid.checkpoint?.counters.recordsIn} records); after a restart the views equal an uninterrupted run (${va.realtime.length} rows)\n`,
  );
}, 150_000);

/** pids of the processes whose parent is pid */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('up: SIGTERM drains every role in turn and exits 0 in time, leaving no role running and nothing committed past the lake', async () => {
  const s = stack('sigterm-up');
  const port = await freePort();
  const up = startCli('up', ['up', '--port', String(port), '--rate', '50', '--batch-every', '5', '--config', s.configFile]);
  const roles = await waitFor(
    () => {
      const c = childrenOf(up.pid);
      return c.length >= 4 ? c : null;
    },
    'up to start its roles',
    30_000,
  );
  // working: postings in the log and the first scheduled batch-run started (--batch-every 5)
  const upLog = await createLog(s.cfg);
  await waitFor(
    async () => existsSync(path.join(s.dataDir, 'logs', 'batch-run.log')) && total(await endOffsets(upLog, [...TOPICS])) > 0,
    'the first batch run of up',
    30_000,
    100,
  );
  expect(up.done()).toBe(false);
  up.kill('SIGTERM');
  const e = await exitWithin(up, 60_000);
  expect({ code: e.code, timedOut: e.timedOut, stderr: e.code === 0 ? '' : up.stderr().slice(-2500) }).toEqual({ code: 0, timedOut: false, stderr: '' });
  expect(roles.filter(alive)).toEqual([]);
  const log = await createLog(s.cfg);
  const ends = await endOffsets(log, [...TOPICS]);
  expect(total(ends)).toBeGreaterThan(0);
  const { objects } = await readLake(s.cfg);
  const cov = coveredByLake(objects);
  const admin = log.admin();
  for (const t of TOPICS) {
    (await admin.groupOffsets(s.cfg.batch.group, t)).forEach((c, p) =>
      expect({ tp: `${t}:${p}`, pastLake: c > (cov.get(`${t}:${p}`) ?? 0) }).toEqual({ tp: `${t}:${p}`, pastLake: false }),
    );
  }
  await admin.close();
  expect(total(await endOffsets(log, [DEAD_LETTER_TOPIC]))).toBe(0);
  process.stdout.write(
    `sigterm up: exit ${e.code} in ${e.ms} ms, ${roles.length} roles stopped, ${total(ends)} records in the log, ${objects.reduce((n, o) => n + o.lines.length, 0)} in the lake\n`,
  );
}, 120_000);
