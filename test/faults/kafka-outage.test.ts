/**
 * Kafka stopped and restarted during ingest. `pinpipe api` on Kafka, `pinpipe emulate` posting a
 * fixed count through a recording proxy (which keeps every answer of the API); the broker is
 * stopped mid-run: the API answers 503 LOG_UNAVAILABLE with Retry-After (and /ready 503) while it
 * cannot write, never a 2xx for a record it did not persist; the broker comes back, the emulator's
 * retries finish the run; then `consume-batch --until-idle` writes the raw zone: every record
 * that got a 2xx is there, every log offset exactly once, nothing that was never sent.
 *
 * The broker is a private one (lib/kafka-broker.ts: the jars of scripts/services-kafka.sh on
 * free ports), so stopping it cannot disturb other tests; it is destroyed in afterAll whatever
 * happens. The lake is the shared S3 server (a private bucket).
 */
import { afterAll, expect, test } from '@jest/globals';
import { createLog } from '../../src/connectors/registry.js';
import { DEAD_LETTER_TOPIC, TOPICS } from '../../src/core/records.js';
import { PrivateKafka } from './lib/kafka-broker.js';
import { endOffsets, readAll, total } from './lib/logread.js';
import { checkExactlyOnce, readLake } from './lib/postings.js';
import { exitWithin, killAll, startApi, startCli } from './lib/proc.js';
import { waitFor } from '../support/wait.js';
import { startRecordingProxy, type RecordingProxy } from './lib/record-proxy.js';
import { realStack, type Stack } from './lib/stack.js';

let kafka: PrivateKafka | undefined;
let stack: Stack | undefined;
let proxy: RecordingProxy | undefined;

afterAll(async () => {
  await killAll();
  await proxy?.close();
  await kafka?.destroy(); // the shared broker was never touched
  await stack?.cleanup().catch(() => undefined);
}, 60_000);

const POSTINGS = 500;

test('Kafka stopped and restarted while the emulator posts: 503 + Retry-After meanwhile, every 2xx record in the lake exactly once', async () => {
  kafka = await PrivateKafka.create();
  await kafka.start();
  stack = await realStack('kafka-outage', { log: { kafka: { brokers: kafka.brokers } } });
  const prefix = stack.cfg.log.topicPrefix;
  const { proc: api, url } = await startApi(['--config', stack.configFile]);
  proxy = await startRecordingProxy(url);

  const emulate = startCli('emulate', [
    'emulate',
    '--api',
    proxy.url,
    '--count',
    String(POSTINGS),
    '--rate',
    '25',
    '--concurrency',
    '4',
    // a request retries through the whole outage, however long the broker takes to come back on a loaded machine (8 retries: ~20 s)
    '--retries',
    '20',
    '--seed',
    '5',
    '--run-id',
    'outage',
    '--json',
    '--config',
    stack.configFile,
  ]);
  const ok = () => proxy!.log.filter((e) => e.status >= 200 && e.status < 300).length;
  await waitFor(() => ok() >= 150, 'the first 150 accepted records', 30_000);

  // the broker goes away mid-run
  const stoppedAt = Date.now();
  await kafka.stop();
  const ready: number[] = [];
  const readyPoll = setInterval(() => {
    fetch(`${url}/ready`).then(
      (r) => ready.push(r.status),
      () => ready.push(0),
    );
  }, 500);
  await waitFor(() => proxy!.log.some((e) => e.status === 503 && e.at > stoppedAt), 'a 503 while Kafka is down', 30_000);
  // a few seconds into the outage: requests answered more than 6 s after the stop
  await waitFor(() => proxy!.log.some((e) => e.at > stoppedAt + 6000), 'answers 6 s into the outage', 30_000, 50);
  const okWhileDown = proxy.log.filter((e) => e.at > stoppedAt + 6000 && e.status >= 200 && e.status < 300).length;
  await kafka.start();
  const restartedAt = Date.now();
  clearInterval(readyPoll);

  const e = await exitWithin(emulate, 120_000);
  const summary = JSON.parse(emulate.stdout().trim().split('\n').pop() || '{}') as Record<string, number>;
  expect({ code: e.code, summary, stderr: e.code === 0 ? '' : emulate.stderr().slice(-2000) }).toEqual({
    code: 0,
    summary: expect.objectContaining({ postings: POSTINGS, accepted: POSTINGS * 3, failed: 0, rejected: 0 }),
    stderr: '',
  });
  expect(api.done()).toBe(false);

  // what the API answered while the broker was down
  const during = proxy.log.filter((x) => x.at > stoppedAt && x.at < restartedAt);
  const unavailable = during.filter((x) => x.status === 503);
  expect(unavailable.length).toBeGreaterThan(0);
  for (const x of unavailable)
    expect({ code: x.code, retryAfter: x.retryAfter }).toEqual({ code: 'LOG_UNAVAILABLE', retryAfter: expect.stringMatching(/^\d+$/) });
  expect(okWhileDown).toBe(0); // a few seconds into the outage nothing is acknowledged any more
  expect(ready).toContain(503);
  for (const x of proxy.log) expect([200, 201, 503]).toContain(x.status);

  // every 2xx record is in the log (the API never acknowledged a record it did not persist)
  const log = await createLog(stack.cfg);
  const records = await readAll(
    log,
    TOPICS.map((t) => prefix + t),
  );
  const inLog = new Map<string, number>();
  for (const r of records) {
    const id = (JSON.parse(r.value) as { event_id: string }).event_id;
    inLog.set(id, (inLog.get(id) ?? 0) + 1);
  }
  const acked = new Set(proxy.log.flatMap((x) => x.eventIds));
  const attempted503 = new Set(unavailable.flatMap((x) => x.keys));
  const sent = new Set(proxy.log.flatMap((x) => x.keys));
  expect(acked.size).toBe(POSTINGS * 3);
  expect([...acked].filter((id) => !inLog.has(id))).toEqual([]);
  // nothing the client never sent; a record appears twice only if an attempt of it got a 503
  expect([...inLog.keys()].filter((id) => !sent.has(id))).toEqual([]);
  const twice = [...inLog].filter(([, n]) => n > 1).map(([id]) => id);
  expect(twice.filter((id) => !attempted503.has(id))).toEqual([]);

  // the raw zone: every log offset exactly once, so every acknowledged record
  const batch = startCli('consume-batch', ['consume-batch', '--until-idle', '--config', stack.configFile]);
  const be = await exitWithin(batch, 90_000);
  expect({ code: be.code, stderr: be.code === 0 ? '' : batch.stderr().slice(-2000) }).toEqual({ code: 0, stderr: '' });
  const ends = await endOffsets(
    log,
    TOPICS.map((t) => prefix + t),
  );
  const lake = await readLake(stack.cfg);
  const check = checkExactlyOnce(lake.objects, new Map([...ends].map(([k, v]) => [k.slice(prefix.length), v])));
  expect(check).toEqual({ lines: total(ends), objects: expect.any(Number), duplicates: 0, missing: 0, problems: [] });
  const lakeIds = new Set(lake.objects.flatMap((o) => o.lines.map((l) => l.event_id)));
  expect([...acked].filter((id) => !lakeIds.has(id))).toEqual([]);
  expect(total(await endOffsets(log, [prefix + DEAD_LETTER_TOPIC]))).toBe(0);

  process.stdout.write(
    `kafka outage: ${POSTINGS * 3} records sent, ${acked.size} acknowledged (2xx), ${unavailable.length} answers 503 during ${Math.round((restartedAt - stoppedAt) / 1000)} s without a broker, ` +
      `${records.length} in the log (${twice.length} appended twice after a 503), ${check.lines} in the lake, ${check.duplicates} duplicate offsets, ${[...acked].filter((id) => !lakeIds.has(id)).length} acknowledged records lost; emulator: ${JSON.stringify(summary)}\n`,
  );
}, 240_000);
