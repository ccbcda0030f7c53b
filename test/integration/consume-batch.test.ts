/**
 * consume-batch on the embedded stack (embedded log + local lake in a temp data dir), in process:
 * exactly-once keys and contents, hour split, idle flush, --until-idle, shutdown flush, dead
 * letters, day markers, metrics.
 */
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { EmbeddedLog } from '../../src/connectors/log/embedded.js';
import { tpKey, type LogRecord } from '../../src/connectors/log/types.js';
import type { Config } from '../../src/core/config.js';
import { createLogger, silentLogger, type Logger } from '../../src/core/logger.js';
import { chunkBody, chunkKey } from '../../src/pipeline/batch-writer/chunk.js';
import { cutChunks } from '../support/chunks.js';
import { gzipText } from '../../src/pipeline/batch-writer/compress.js';
import { runBatchWriter } from '../../src/pipeline/batch-writer/runner.js';
import { stampRecord } from '../../src/pipeline/batch-writer/stamp.js';
import { readRaw } from '../support/raw.js';
import { sleep, waitFor, within } from '../support/wait.js';
import { cleanupDirs, expectExactlyOnce, markerKeys, produce, produceStamped, stampedValue, tmpConfig, type Stamped } from './consume-batch.helpers.js';

afterAll(cleanupDirs);

/** runs started by a test; stopped after it even when an assertion failed */
const live: { ac: AbortController; running: Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of live.splice(0)) {
    r.ac.abort();
    await r.running.catch(() => undefined);
  }
});
function background(cfg: Config, log: EmbeddedLog, lake: LocalLake, logger: Logger = silentLogger) {
  const ac = new AbortController();
  const running = runBatchWriter(cfg, log, lake, { untilIdle: false, signal: ac.signal, logger });
  live.push({ ac, running });
  return { ac, running };
}

const TOPICS = ['pin', 'geo', 'user'] as const;
const untilIdle = (cfg: Config, log = new EmbeddedLog(cfg), lake = new LocalLake(cfg)) =>
  runBatchWriter(cfg, log, lake, { untilIdle: true, signal: new AbortController().signal, logger: silentLogger });

/** n records per topic, ingested every stepMs from start */
function stamped(n: number, start: string, stepMs: number): Stamped[] {
  const t0 = Date.parse(start);
  return Array.from({ length: n * 3 }, (_, i) => ({ topic: TOPICS[i % 3]!, ind: i, at: new Date(t0 + i * stepMs).toISOString() }));
}

async function committedOffsets(cfg: Config, log: EmbeddedLog) {
  const c = log.consumer({ groupId: cfg.batch.group, topics: TOPICS.map((t) => t) });
  const ends = await c.endOffsets();
  const committed = await c.committed([...ends.keys()].map((k) => ({ topic: k.split(':')[0]!, partition: Number(k.split(':')[1]) })));
  await c.close();
  return { ends, committed: new Map(committed.map((x) => [tpKey(x.topic, x.partition), x])) };
}

describe('consume-batch on the embedded stack', () => {
  test('exactly-once keys and contents, cut by count and by hour, committed with the day', async () => {
    const cfg = tmpConfig({ 'batch.chunkRecords': 50, 'batch.chunkSpan': '1h' });
    const log = new EmbeddedLog(cfg);
    // 600 records, 10 s apart, across the 10:00 → 11:00 boundary (hour split mid-chunk)
    const items = stamped(200, '2026-11-20T10:45:00.000Z', 10_000);
    const results = await produceStamped(log, cfg, items);
    const run = await untilIdle(cfg, log);
    expect(run.stats.recordsIn).toBe(600);

    const { objects, markers } = await readRaw(new LocalLake(cfg), { expectKeys: true });
    const { ends, committed } = await committedOffsets(cfg, log);
    expectExactlyOnce(objects, ends);
    // contents: each line is the produced value plus _partition and _offset
    const byPos = new Map(results.map((r, i) => [`${r.topic}:${r.partition}:${r.offset}`, items[i]!]));
    for (const o of objects)
      for (const l of o.lines) {
        const { _partition, _offset, ...rest } = l;
        expect(rest).toEqual(JSON.parse(stampedValue(byPos.get(`${o.topic}:${_partition}:${_offset}`)!)));
      }
    // keys: exactly the writer's own cut (count 50, hour boundary) of each partition's records
    const expected: string[] = [];
    for (const [tp] of ends) {
      const [topic, p] = [tp.split(':')[0]!, Number(tp.split(':')[1])];
      const recs = results
        .map((r, i) => ({ r, i }))
        .filter(({ r }) => r.topic === topic && r.partition === p)
        .sort((a, b) => a.r.offset - b.r.offset);
      const cut = cutChunks(
        topic,
        p,
        recs.map(({ r, i }) => {
          const s = stampRecord(stampedValue(items[i]!), p, r.offset);
          if (!s.ok) throw new Error(s.reason);
          return { offset: r.offset, stamp: s.stamp, line: s.line };
        }),
        { chunkRecords: 50, chunkSpan: 3_600_000 },
      );
      expected.push(...[...cut.closed, ...(cut.open ? [cut.open] : [])].map(chunkKey));
    }
    expect(objects.map((o) => o.key).sort()).toEqual(expected.sort());
    expect(objects.some((o) => o.key.includes('/hr=10/')) && objects.some((o) => o.key.includes('/hr=11/'))).toBe(true);
    // the day is long past: markers for all three topics
    expect(markers.sort()).toEqual(markerKeys([...TOPICS], '2026-11-20'));
    // every partition committed to its end, with the day of its last record
    for (const [tp, end] of ends) {
      expect(committed.get(tp)!.offset).toBe(end);
      expect(JSON.parse(committed.get(tp)!.metadata!)).toMatchObject({ day: '2026-11-20' });
    }
    // a second run finds nothing to do and writes nothing
    const again = await untilIdle(cfg, log);
    expect(again.stats.recordsIn).toBe(0);
    expect((await readRaw(new LocalLake(cfg), { expectKeys: true })).objects.length).toBe(objects.length);
  });

  test('adopts objects that a crashed writer wrote but did not commit, however they were cut', async () => {
    const cfg = tmpConfig({ 'batch.chunkRecords': 50, 'log.partitions': 1 });
    const log = new EmbeddedLog(cfg);
    const lake = new LocalLake(cfg);
    const items = Array.from({ length: 120 }, (_, i) => ({
      topic: 'pin' as const,
      ind: i,
      at: new Date(Date.parse('2026-11-23T05:00:00.000Z') + i * 1000).toISOString(),
    }));
    await produceStamped(log, cfg, items);
    // what a writer killed between put and commit left behind: two idle-flushed chunks, nothing committed
    const lines = items.map((it, i) => {
      const s = stampRecord(stampedValue(it), 0, i);
      if (!s.ok) throw new Error(s.reason);
      return { offset: i, stamp: s.stamp, line: s.line };
    });
    const left = [
      cutChunks('pin', 0, lines.slice(0, 7), { chunkRecords: 50, chunkSpan: 60_000 }).open!,
      cutChunks('pin', 0, lines.slice(7, 30), { chunkRecords: 50, chunkSpan: 60_000 }).open!,
    ];
    for (const c of left) await lake.put(chunkKey(c), await gzipText(chunkBody(c)));
    const before = await Promise.all(left.map((c) => lake.get(chunkKey(c))));

    const run = await untilIdle(cfg, log, lake);
    expect(run.stats.summary()).toMatchObject({ records: 120, adopted: 2, objects: 2 });
    const { objects } = await readRaw(lake, { expectKeys: true });
    expect(objects.map((o) => [o.firstOffset, o.lines[o.lines.length - 1]!._offset])).toEqual([
      [0, 6],
      [7, 29],
      [30, 79],
      [80, 119],
    ]);
    expect(await Promise.all(left.map((c) => lake.get(chunkKey(c))))).toEqual(before);
    const { ends, committed } = await committedOffsets(cfg, log);
    expectExactlyOnce(objects, ends);
    expect(committed.get('pin:0')!.offset).toBe(120);
  });

  test('--until-idle on an empty log exits at once', async () => {
    const cfg = tmpConfig();
    const t0 = Date.now();
    const run = await untilIdle(cfg);
    expect(run.stats.summary()).toMatchObject({ records: 0, objects: 0 });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  test('idle flush writes and commits while running; new records continue after; abort returns promptly', async () => {
    const cfg = tmpConfig({ 'batch.idleFlush': '200ms', 'log.partitions': 1 });
    const log = new EmbeddedLog(cfg);
    const lake = new LocalLake(cfg);
    const { ac, running } = background(cfg, log, lake);
    const now = Date.now();
    await produceStamped(
      log,
      cfg,
      [0, 1, 2].map((i) => ({ topic: 'pin' as const, ind: i, at: new Date(now + i).toISOString() })),
    );
    await waitFor(async () => (await lake.list('raw/pin/')).length === 1, 'the idle flush of pin');
    await waitFor(async () => (await committedOffsets(cfg, log)).committed.get('pin:0')!.offset === 3, 'the commit after the idle flush');
    await produceStamped(
      log,
      cfg,
      [3, 4].map((i) => ({ topic: 'pin' as const, ind: i, at: new Date(now + i).toISOString() })),
    );
    await waitFor(async () => (await lake.list('raw/pin/')).length === 2, 'the second idle flush');
    const { objects } = await readRaw(lake, { expectKeys: true });
    expect(objects.map((o) => o.lines.map((l) => l._offset))).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    // today is not complete: no marker
    expect((await lake.list('raw/')).filter((o) => o.key.endsWith('_SUCCESS'))).toEqual([]);
    const t0 = Date.now();
    ac.abort();
    const res = await running;
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(res.stats.summary()).toMatchObject({ records: 5, objects: 2 });
  });

  test('SIGINT-style abort flushes every open chunk and commits it', async () => {
    const cfg = tmpConfig({ 'batch.idleFlush': '1h' });
    const log = new EmbeddedLog(cfg);
    const lake = new LocalLake(cfg);
    const { ac, running } = background(cfg, log, lake);
    await produceStamped(log, cfg, stamped(30, new Date().toISOString(), 1));
    await sleep(500);
    expect(await lake.list('raw/')).toEqual([]); // nothing closed yet
    ac.abort();
    const res = await running;
    expect(res.stats.recordsIn).toBe(90);
    const { objects } = await readRaw(lake, { expectKeys: true });
    const { ends, committed } = await committedOffsets(cfg, log);
    expectExactlyOnce(objects, ends);
    for (const [tp, end] of ends) expect(committed.get(tp)!.offset).toBe(end);
  });

  test('a stop requested before the writer joined its group (a SIGTERM while starting up) returns at once, reading nothing', async () => {
    // the signal aborted before runBatchWriter listened to it: a listener added then never fires,
    // and the writer ran on as if never stopped (the Kafka + S3 rebalance test's hang on a loaded machine)
    const cfg = tmpConfig();
    const log = new EmbeddedLog(cfg);
    const lake = new LocalLake(cfg);
    await produceStamped(log, cfg, stamped(10, '2026-11-20T10:00:00.000Z', 1_000));
    const ac = new AbortController();
    ac.abort();
    let returned = false;
    const running = runBatchWriter(cfg, log, lake, { untilIdle: false, signal: ac.signal, logger: silentLogger }).finally(() => (returned = true));
    expect((await within(() => returned, 5_000)) ? 'returned' : 'still running after 5 s').toBe('returned');
    expect((await running).stats.summary()).toMatchObject({ records: 0, objects: 0 });
    expect(await lake.list('raw/')).toEqual([]);
    const { committed } = await committedOffsets(cfg, log);
    for (const c of committed.values()) expect(c.offset).toBe(-1);
  });

  test('a record without a usable ingested_at goes to the dead-letter topic; offsets still advance', async () => {
    const cfg = tmpConfig({ 'log.partitions': 1 });
    const log = new EmbeddedLog(cfg);
    const good = (i: number) => ({ topic: 'geo', key: String(i), value: stampedValue({ topic: 'geo', ind: i, at: '2026-11-21T08:00:00.000Z' }) });
    await produce(log, [good(0), { topic: 'geo', key: '1', value: '{"ind":1}' }, good(2), { topic: 'geo', key: '3', value: 'not json' }]);
    const run = await untilIdle(cfg, log);
    expect(run.stats.deadLettered).toBe(2);
    const { objects } = await readRaw(new LocalLake(cfg), { expectKeys: true });
    const { ends, committed } = await committedOffsets(cfg, log);
    expectExactlyOnce(objects, ends, new Set(['geo:0:1', 'geo:0:3']));
    expect(committed.get('geo:0')!.offset).toBe(4);
    // read the dead letters back from the log
    const c = log.consumer({ groupId: 'dlq-reader', topics: ['deadletter'] });
    const got: LogRecord[] = [];
    await c.run({ eachBatch: async (b) => void got.push(...b.records) });
    await waitFor(() => got.length === 2, 'two dead letters');
    await c.close();
    const letters = got.map((r) => JSON.parse(r.value)).sort((a, b) => a.offset - b.offset);
    expect(letters).toEqual([
      { topic: 'geo', partition: 0, offset: 1, reason: 'ingested_at is missing', record: '{"ind":1}', at: expect.any(String) },
      { topic: 'geo', partition: 0, offset: 3, reason: 'value is not valid JSON', record: 'not json', at: expect.any(String) },
    ]);
  });

  test('metrics: /health and Prometheus /metrics while running', async () => {
    const cfg = tmpConfig({ metricsPort: 0, 'log.partitions': 1 });
    const log = new EmbeddedLog(cfg);
    await produceStamped(log, cfg, stamped(5, '2026-11-22T00:00:00.000Z', 1000));
    const lines: string[] = [];
    const logger = createLogger({ json: true, write: (l) => lines.push(l) });
    const { ac, running } = background(cfg, log, new LocalLake(cfg), logger);
    await waitFor(() => lines.some((l) => l.includes('metrics listening')), 'the metrics server');
    const url = JSON.parse(lines.find((l) => l.includes('metrics listening'))!).url as string;
    await waitFor(async () => (await (await fetch(url)).text()).includes('pinpipe_batch_records_in_total 15'), 'records in = 15');
    const text = await (await fetch(url)).text();
    expect(text).toMatch(/pinpipe_batch_consumer_lag\{topic="pin",partition="0"\} 0/);
    const health = await fetch(url.replace('/metrics', '/health'));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    ac.abort();
    expect((await running).stats.objectsWritten).toBe(3);
  });

  test('lake failing: retries with backoff, commits nothing, health degraded; recovers when the lake does', async () => {
    const cfg = tmpConfig({ metricsPort: 0, 'log.partitions': 1, 'batch.idleFlush': '100ms' });
    const log = new EmbeddedLog(cfg);
    const lake = new LocalLake(cfg);
    // a file where the lake needs the directory raw/pin: every read and write under it fails
    mkdirSync(path.join(cfg.dataDir, 'lake/raw'), { recursive: true });
    const blocker = path.join(cfg.dataDir, 'lake/raw/pin');
    writeFileSync(blocker, 'in the way');
    await produceStamped(
      log,
      cfg,
      Array.from({ length: 20 }, (_, i) => ({ topic: 'pin' as const, ind: i, at: new Date(Date.now() + i).toISOString() })),
    );
    const lines: string[] = [];
    const { ac, running } = background(cfg, log, lake, createLogger({ json: true, write: (l) => lines.push(l) }));
    await waitFor(() => lines.some((l) => l.includes('metrics listening')), 'the metrics server');
    const url = JSON.parse(lines.find((l) => l.includes('metrics listening'))!).url as string;
    const health = url.replace('/metrics', '/health');
    await waitFor(async () => (await fetch(health)).status === 503, 'health to report the lake failure');
    await sleep(600);
    expect(lines.some((l) => /lake (read|write) failed; retrying/.test(l))).toBe(true);
    expect((await committedOffsets(cfg, log)).committed.get('pin:0')!.offset).toBe(-1);
    expect(await (await fetch(url)).text()).toMatch(/pinpipe_batch_lake_errors_total [1-9]/);
    rmSync(blocker);
    await waitFor(async () => (await committedOffsets(cfg, log)).committed.get('pin:0')!.offset === 20, 'the commit once the lake is back');
    expect((await fetch(health)).status).toBe(200);
    ac.abort();
    await running;
    const { objects } = await readRaw(lake, { expectKeys: true });
    const { ends } = await committedOffsets(cfg, log);
    expectExactlyOnce(objects, ends);
  });

  test('stopped while the lake is failing: exits with LAKE_UNAVAILABLE promptly, nothing committed', async () => {
    const cfg = tmpConfig({ metricsPort: 0, 'log.partitions': 1, 'batch.idleFlush': '100ms' });
    const log = new EmbeddedLog(cfg);
    mkdirSync(path.join(cfg.dataDir, 'lake/raw'), { recursive: true });
    writeFileSync(path.join(cfg.dataDir, 'lake/raw/geo'), 'in the way');
    await produceStamped(log, cfg, [{ topic: 'geo', ind: 1, at: new Date().toISOString() }]);
    const lines: string[] = [];
    const { ac, running } = background(cfg, log, new LocalLake(cfg), createLogger({ json: true, write: (l) => lines.push(l) }));
    await waitFor(() => lines.some((l) => l.includes('lake write failed; retrying')), 'a failed write');
    const t0 = Date.now();
    ac.abort();
    await expect(running).rejects.toMatchObject({ code: 'LAKE_UNAVAILABLE' });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect((await committedOffsets(cfg, log)).committed.get('geo:0')!.offset).toBe(-1);
  });
});
