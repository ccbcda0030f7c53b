/**
 * One conformance suite for every Log implementation (embedded file log, Kafka). It uses only the
 * Log interface, a unique topic (through fx.topic) and a unique group per test, and waits generously
 * but boundedly, since a Kafka group join takes a few seconds.
 * fx.reopen() returns a second, independent Log instance over the same storage (durability test).
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import type {
  ConsumedBatch,
  ConsumerOptions,
  Log,
  LogAdmin,
  LogConsumer,
  LogRecord,
  ProduceMessage,
  ProduceResult,
  TopicPartition,
} from '../../src/connectors/log/types.js';
import { tpKey } from '../../src/connectors/log/types.js';
import { connectorHarness } from '../support/conformance.js';
import { uid } from '../support/services.js';
import { sleep, waitFor as waitUntil } from '../support/wait.js';

export interface LogFixture {
  log: Log;
  /** a topic name unique to this run for a logical name */
  topic: (logical: string) => string;
  cleanup: () => Promise<void>;
  reopen: () => Promise<Log>;
}

const WAIT_MS = 40_000;
/** a Kafka group join takes a few seconds: wait generously */
const waitFor = (cond: () => boolean, what: string, timeoutMs = WAIT_MS) => waitUntil(cond, what, timeoutMs, 20);

async function produce(log: Log, messages: ProduceMessage[]): Promise<ProduceResult[]> {
  const p = log.producer();
  await p.connect();
  try {
    return await p.send(messages);
  } finally {
    await p.close();
  }
}

async function withAdmin<T>(log: Log, fn: (admin: LogAdmin) => Promise<T>): Promise<T> {
  const admin = log.admin();
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

interface Run {
  consumer: LogConsumer;
  batches: ConsumedBatch[];
  records: LogRecord[];
  assigned: TopicPartition[];
  revoked: TopicPartition[];
  errors: Error[];
  /** partitions whose first batch came before they were assigned */
  unassignedBatches: string[];
}

async function consume(log: Log, opts: ConsumerOptions, onBatch?: (b: ConsumedBatch, consumer: LogConsumer) => Promise<void>): Promise<Run> {
  const consumer = log.consumer(opts);
  const run: Run = { consumer, batches: [], records: [], assigned: [], revoked: [], errors: [], unassignedBatches: [] };
  consumer.onError((e) => run.errors.push(e));
  await consumer.connect();
  await consumer.run({
    eachBatch: async (b) => {
      if (!run.assigned.some((tp) => tp.topic === b.topic && tp.partition === b.partition)) run.unassignedBatches.push(tpKey(b.topic, b.partition));
      run.batches.push(b);
      run.records.push(...b.records);
      if (onBatch) await onBatch(b, consumer);
    },
    onAssign: async (tps) => void run.assigned.push(...tps),
    onRevoke: async (tps) => void run.revoked.push(...tps),
  });
  return run;
}

/** per-partition lists of offsets of the records consumed */
function offsetsByPartition(records: LogRecord[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const r of records) {
    if (!out.has(r.partition)) out.set(r.partition, []);
    out.get(r.partition)!.push(r.offset);
  }
  return out;
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

export function logConformance(name: string, setup: () => Promise<LogFixture>): void {
  describe(`Log conformance: ${name}`, () => {
    const h = connectorHarness(setup, (fx) => fx.log);
    let log: Log;
    beforeEach(() => void (log = h.main));
    const group = () => `${h.fx.topic('grp')}-${uid()}`;
    const newTopic = async (logical: string) => {
      const t = h.fx.topic(`${logical}-${uid()}`);
      return withAdmin(log, async (admin) => {
        await admin.ensureTopics([t]);
        return { topic: t, partitions: await admin.partitionCount(t) };
      });
    };
    const track = async (p: Promise<Run>) => {
      const r = await p;
      h.track(r.consumer);
      return r;
    };

    test('lifecycle: health() answers; close() may be called twice', async () => {
      await expect(log.health()).resolves.toBeUndefined();
      await log.close();
      await log.close();
    });

    test('produce then consume: every record once, in per-partition order, offsets contiguous from 0', async () => {
      const { topic, partitions } = await newTopic('order');
      expect(partitions).toBeGreaterThanOrEqual(1);
      const bulk = await produce(
        log,
        range(0, 200).map((i) => ({ topic, key: `k${i % 23}`, value: JSON.stringify({ i, s: 'héllo ✓ "q"' }) })),
      );
      const p = log.producer();
      await p.connect();
      const singles = await Promise.all(range(200, 260).map((i) => p.send([{ topic, key: `k${i % 23}`, value: JSON.stringify({ i }) }])));
      await p.close();
      const results = [...bulk, ...singles.map((r) => r[0]!)];
      expect(results).toHaveLength(260);
      for (const r of results) {
        expect(r.topic).toBe(topic);
        expect(r.partition).toBeGreaterThanOrEqual(0);
        expect(r.partition).toBeLessThan(partitions);
      }
      // produce results: per partition, offsets are exactly 0..n-1
      const produced = new Map<number, number[]>();
      for (const r of results) produced.set(r.partition, [...(produced.get(r.partition) ?? []), r.offset]);
      for (const [, offs] of produced) expect([...offs].sort((a, b) => a - b)).toEqual(range(0, offs.length));
      // within one bulk send, offsets of a partition grow in message order
      const bulkOffsets = offsetsByPartition(bulk.map((r, i) => ({ ...r, key: null, value: String(i), timestamp: 0 })));
      for (const [, offs] of bulkOffsets) expect(offs).toEqual([...offs].sort((a, b) => a - b));

      const before = Date.now();
      const run = await track(consume(log, { groupId: group(), topics: [topic], fromBeginning: true, maxBatchRecords: 17 }));
      await waitFor(() => run.records.length >= 260, 'all 260 records');
      await sleep(300);
      expect(run.records).toHaveLength(260);
      expect(run.errors).toEqual([]);
      expect(run.unassignedBatches).toEqual([]);
      for (const [partition, offs] of offsetsByPartition(run.records)) expect(offs).toEqual(range(0, produced.get(partition)!.length));
      // every record comes back where the producer was told it went, with its key and value
      const where = new Map(results.map((r, i) => [tpKey(r.topic, r.partition) + '@' + r.offset, i]));
      for (const rec of run.records) {
        const i = where.get(tpKey(rec.topic, rec.partition) + '@' + rec.offset)!;
        expect(JSON.parse(rec.value).i).toBe(i);
        expect(rec.key).toBe(`k${i % 23}`);
        expect(rec.topic).toBe(topic);
        expect(typeof rec.timestamp).toBe('number');
        expect(rec.timestamp).toBeGreaterThan(before - 10 * 60_000);
        expect(rec.timestamp).toBeLessThan(Date.now() + 60_000);
      }
      expect(JSON.parse(run.records.find((r) => JSON.parse(r.value).i === 0)!.value).s).toBe('héllo ✓ "q"');
      for (const b of run.batches) {
        expect(b.records.length).toBeGreaterThan(0);
        expect(b.records.length).toBeLessThanOrEqual(17);
        for (const r of b.records) expect([r.topic, r.partition]).toEqual([b.topic, b.partition]);
      }
    });

    test('records with one key go to one partition; records without a key are accepted', async () => {
      const { topic, partitions } = await newTopic('keys');
      const keys = range(0, 40).map((i) => `user-${i}`);
      const first = await produce(
        log,
        keys.map((key) => ({ topic, key, value: '{}' })),
      );
      const second = await produce(
        log,
        [...keys].reverse().map((key) => ({ topic, key, value: '{}' })),
      );
      const partOf = new Map(first.map((r, i) => [keys[i]!, r.partition]));
      second.forEach((r, i) => expect(r.partition).toBe(partOf.get(keys[keys.length - 1 - i]!)));
      if (partitions > 1) expect(new Set(first.map((r) => r.partition)).size).toBeGreaterThan(1);
      const unkeyed = await produce(
        log,
        range(0, 10).map((i) => ({ topic, value: JSON.stringify({ i }) })),
      );
      for (const r of unkeyed) expect(r.partition).toBeLessThan(partitions);
      expect((await withAdmin(log, (a) => a.endOffsets(topic))).reduce((a, b) => a + b, 0)).toBe(90);
    });

    test('committed offsets keep their metadata; a new member of the group resumes there', async () => {
      const { topic, partitions } = await newTopic('commit');
      const results = await produce(
        log,
        range(0, 60).map((i) => ({ topic, key: `k${i}`, value: JSON.stringify({ i }) })),
      );
      const counts = range(0, partitions).map((p) => results.filter((r) => r.partition === p).length);
      const g = group();
      const tps = range(0, partitions).map((partition) => ({ topic, partition }));

      const a = await track(consume(log, { groupId: g, topics: [topic], fromBeginning: true, maxBatchRecords: 7 }));
      await waitFor(() => a.records.length >= 60, 'all 60 records');
      expect((await a.consumer.committed(tps)).map((c) => c.offset)).toEqual(tps.map(() => -1));
      const mids = counts.map((c) => Math.floor(c / 2));
      const commits = tps
        .filter((tp) => counts[tp.partition]! > 0)
        .map((tp) => ({ ...tp, offset: mids[tp.partition]!, metadata: JSON.stringify({ day: '2026-11-27', p: tp.partition }) }));
      await a.consumer.commit(commits);
      const back = await a.consumer.committed(tps);
      for (const tp of tps) {
        const c = back.find((x) => x.partition === tp.partition)!;
        if (counts[tp.partition]! > 0) {
          expect(c.offset).toBe(mids[tp.partition]);
          expect(c.metadata).toBe(JSON.stringify({ day: '2026-11-27', p: tp.partition }));
        } else expect(c.offset).toBe(-1);
      }
      await a.consumer.close();

      expect(await withAdmin(log, (a) => a.groupOffsets(g, topic))).toEqual(counts.map((c, p) => (c > 0 ? mids[p] : -1)));

      const b = await track(consume(log, { groupId: g, topics: [topic], fromBeginning: true }));
      const expected = counts.reduce((s, c, p) => s + c - mids[p]!, 0);
      await waitFor(() => b.records.length >= expected, `${expected} records after the committed offsets`);
      for (const [p, offs] of offsetsByPartition(b.records)) expect(offs).toEqual(range(mids[p]!, counts[p]!));
      // the resumed member follows new appends too
      await produce(
        log,
        range(0, 5).map((i) => ({ topic, key: `late${i}`, value: '{}' })),
      );
      await waitFor(() => b.records.length >= expected + 5, 'records appended after the resume');
      expect((await b.consumer.committed(tps)).filter((c) => c.offset >= 0).map((c) => c.metadata)).toEqual(commits.map((c) => c.metadata));
    });

    test('seek moves the read position of an assigned partition', async () => {
      const { topic } = await newTopic('seek');
      const results = await produce(
        log,
        range(0, 10).map((i) => ({ topic, key: 'one-key', value: JSON.stringify({ i }) })),
      );
      const partition = results[0]!.partition;
      const run = await track(consume(log, { groupId: group(), topics: [topic], fromBeginning: true, maxBatchRecords: 4 }));
      await waitFor(() => run.records.length >= 10, 'the first 10 records');
      expect(run.records.map((r) => r.offset)).toEqual(range(0, 10));
      run.consumer.seek({ topic, partition }, 3);
      await waitFor(() => run.records.length >= 17, 'records 3..9 again after the seek');
      await sleep(300);
      expect(run.records.slice(10).map((r) => r.offset)).toEqual(range(3, 10));
      expect(run.records.slice(10).map((r) => JSON.parse(r.value).i)).toEqual(range(3, 10));
    });

    test('pause stops a partition after the batch in flight, others keep flowing; resume goes on from where it stood', async () => {
      const { topic } = await newTopic('pause');
      const results = await produce(
        log,
        range(0, 90).map((i) => ({ topic, key: `k${i}`, value: JSON.stringify({ i }) })),
      );
      const perPartition = new Map<number, number>();
      for (const r of results) perPartition.set(r.partition, (perPartition.get(r.partition) ?? 0) + 1);
      let paused: number | null = null;
      const run = await track(
        consume(log, { groupId: group(), topics: [topic], fromBeginning: true, maxBatchRecords: 3 }, async (b, consumer) => {
          if (paused === null) {
            paused = b.partition;
            consumer.pause([{ topic, partition: b.partition }]);
          }
        }),
      );
      const others = () => run.records.filter((r) => r.partition !== paused).length;
      const expectedOthers = () => results.filter((r) => r.partition !== paused).length;
      await waitFor(() => paused !== null && others() >= expectedOthers(), 'every record of the partitions not paused');
      await sleep(800);
      const p = paused as unknown as number;
      expect(run.records.filter((r) => r.partition === p).map((r) => r.offset)).toEqual([0, 1, 2]);
      expect(others()).toBe(expectedOthers());
      run.consumer.resume([{ topic, partition: p }]);
      run.consumer.resume([{ topic, partition: p }]); // not paused any more: a no-op
      await waitFor(() => run.records.length >= 90, 'all 90 records after the resume');
      await sleep(300);
      expect(run.records).toHaveLength(90);
      expect(offsetsByPartition(run.records).get(p)).toEqual(range(0, perPartition.get(p)!));
      expect(run.errors).toEqual([]);
    });

    test("endOffsets (admin and consumer) and each batch's highWatermark", async () => {
      const { topic, partitions } = await newTopic('ends');
      const admin = log.admin();
      try {
        expect(await admin.endOffsets(topic)).toEqual(range(0, partitions).map(() => 0));
        const results = await produce(
          log,
          range(0, 45).map((i) => ({ topic, key: `k${i}`, value: JSON.stringify({ i }) })),
        );
        const counts = range(0, partitions).map((p) => results.filter((r) => r.partition === p).length);
        expect(await admin.endOffsets(topic)).toEqual(counts);
        expect(await admin.groupOffsets(`${topic}-nobody`, topic)).toEqual(counts.map(() => -1));

        const run = await track(consume(log, { groupId: group(), topics: [topic], fromBeginning: true, maxBatchRecords: 5 }));
        await waitFor(() => run.records.length >= 45, 'all 45 records');
        const ends = await run.consumer.endOffsets();
        for (let p = 0; p < partitions; p++) expect(ends.get(tpKey(topic, p))).toBe(counts[p]);
        for (const b of run.batches) {
          expect(b.highWatermark).toBe(counts[b.partition]);
          expect(b.highWatermark).toBeGreaterThanOrEqual(b.records[b.records.length - 1]!.offset + 1);
        }
      } finally {
        await admin.close();
      }
    });

    test('a send that resolved is visible to a fresh Log instance', async () => {
      const { topic } = await newTopic('durable');
      const results = await produce(
        log,
        range(0, 25).map((i) => ({ topic, key: `k${i % 4}`, value: JSON.stringify({ i }) })),
      );
      const fresh = await h.fx.reopen();
      expect((await withAdmin(fresh, (a) => a.endOffsets(topic))).reduce((a, b) => a + b, 0)).toBe(25);
      const run = await track(consume(fresh, { groupId: group(), topics: [topic], fromBeginning: true }));
      await waitFor(() => run.records.length >= 25, 'the 25 records through a fresh instance');
      const seen = new Map(run.records.map((r) => [tpKey(r.topic, r.partition) + '@' + r.offset, JSON.parse(r.value).i]));
      results.forEach((r, i) => expect(seen.get(tpKey(r.topic, r.partition) + '@' + r.offset)).toBe(i));
    });

    test('close() waits for the batch in flight, stops delivery, and frees the group for a new member', async () => {
      const { topic } = await newTopic('close');
      await produce(
        log,
        range(0, 6).map((i) => ({ topic, key: 'k', value: JSON.stringify({ i }) })),
      );
      let inFlight = false;
      let finished = 0;
      const g = group();
      const run = await consume(log, { groupId: g, topics: [topic], fromBeginning: true, maxBatchRecords: 3 }, async () => {
        inFlight = true;
        await sleep(400);
        finished++;
        inFlight = false;
      });
      await waitFor(() => inFlight, 'a batch in flight');
      const t0 = Date.now();
      await run.consumer.close();
      expect(inFlight).toBe(false);
      expect(finished).toBe(run.batches.length);
      expect(Date.now() - t0).toBeLessThan(WAIT_MS);
      const delivered = run.records.length;
      await produce(log, [{ topic, key: 'k', value: '{"after":true}' }]);
      await sleep(500);
      expect(run.records.length).toBe(delivered);
      expect(run.errors).toEqual([]);
      await run.consumer.close(); // a second close is harmless

      const again = await track(consume(log, { groupId: g, topics: [topic], fromBeginning: true }));
      await waitFor(() => again.records.length >= 7, 'all 7 records through a new member of the group');
      expect(again.records.map((r) => r.offset)).toEqual(range(0, 7));
    });
  });
}
