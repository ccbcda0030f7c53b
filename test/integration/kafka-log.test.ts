/** Behaviour of KafkaLog beyond the shared log conformance suite, against the real broker. */
import { afterEach, expect, test } from '@jest/globals';
import { KafkaLog } from '../../src/connectors/log/kafka.js';
import type { ConsumedBatch, LogConsumer, LogRecord, TopicPartition } from '../../src/connectors/log/types.js';
import { loadConfig } from '../../src/core/config.js';
import { PinpipeError } from '../../src/core/errors.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { kafkaFixture, type KafkaFixture } from '../support/kafka.js';
import { freePort } from '../support/net.js';
import { sleep, waitFor as waitUntil } from '../support/wait.js';

let fx: KafkaFixture | undefined;
const consumers: LogConsumer[] = [];
afterEach(async () => {
  for (const c of consumers.splice(0)) await c.close();
  await fx?.cleanup();
  fx = undefined;
});

/** a Kafka group join takes a few seconds: wait generously */
const waitFor = (cond: () => boolean, what: string) => waitUntil(cond, what, 40_000, 20);

async function topicOf(f: KafkaFixture, logical: string): Promise<string> {
  const topic = f.topic(logical);
  const admin = f.log.admin();
  await admin.ensureTopics([topic]);
  await admin.close();
  return topic;
}

test('an unreachable broker fails send() quickly with a retriable LOG_UNAVAILABLE', async () => {
  const port = await freePort(); // nothing listens there
  const cfg = loadConfig({ env: {}, flags: { dataDir: '/tmp', 'log.kind': 'kafka', 'log.kafka.brokers': [`127.0.0.1:${port}`] } });
  const producer = new KafkaLog(cfg, { logger: silentLogger }).producer();
  const t0 = Date.now();
  const err = await producer.send([{ topic: 'pin', key: '1', value: '{}' }]).catch((e) => e);
  const elapsed = Date.now() - t0;
  await producer.close();
  expect(err).toBeInstanceOf(PinpipeError);
  expect((err as PinpipeError).code).toBe('LOG_UNAVAILABLE');
  expect((err as PinpipeError).retriable).toBe(true);
  expect((err as PinpipeError).message).toMatch(/Kafka/);
  expect(elapsed).toBeLessThan(6_000);
});

test('a topic that does not exist is NOT_FOUND, and is not created', async () => {
  fx = kafkaFixture();
  const topic = fx.topic('missing');
  const producer = fx.log.producer();
  await expect(producer.send([{ topic, key: '1', value: '{}' }])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await producer.close();
  const admin = fx.log.admin();
  expect(await admin.listTopics()).not.toContain(topic);
  await expect(admin.partitionCount(topic)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await admin.close();
});

test("many concurrent sends are all acknowledged with distinct, contiguous offsets; timestamps are the log's", async () => {
  fx = kafkaFixture();
  const topic = await topicOf(fx, 'burst');
  const producer = fx.log.producer();
  await producer.connect();
  const before = Date.now();
  const results = (
    await Promise.all(Array.from({ length: 1500 }, (_, i) => producer.send([{ topic, key: `u${i % 97}`, value: JSON.stringify({ i }) }])))
  ).flat();
  const after = Date.now();
  await producer.close();
  const byPartition = new Map<number, number[]>();
  for (const r of results) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]);
  expect([...byPartition.keys()].sort()).toEqual([0, 1, 2]);
  for (const offs of byPartition.values()) expect([...offs].sort((a, b) => a - b)).toEqual(offs.map((_, i) => i));

  const admin = fx.log.admin();
  expect(await admin.endOffsets(topic)).toEqual([0, 1, 2].map((p) => byPartition.get(p)!.length));
  await admin.close();

  const seen: LogRecord[] = [];
  const c = fx.log.consumer({ groupId: fx.topic('g-burst'), topics: [topic] });
  consumers.push(c);
  await c.connect();
  await c.run({ eachBatch: async (b) => void seen.push(...b.records) });
  await waitFor(() => seen.length >= 1500, 'all 1500 records');
  for (const r of seen) {
    expect(r.timestamp).toBeGreaterThanOrEqual(before - 1_000);
    expect(r.timestamp).toBeLessThanOrEqual(after + 1_000);
  }
});

test('a second member takes over partitions: onRevoke/onAssign, and no member sees a record twice', async () => {
  fx = kafkaFixture();
  const topic = await topicOf(fx, 'rebalance');
  const groupId = fx.topic('g-rebalance');
  const producer = fx.log.producer();
  const sendN = async (from: number, n: number) =>
    producer.send(Array.from({ length: n }, (_, i) => ({ topic, key: `k${from + i}`, value: JSON.stringify({ i: from + i }) })));

  const member = async () => {
    const m = {
      records: [] as LogRecord[],
      assigned: [] as TopicPartition[],
      revoked: [] as TopicPartition[],
      errors: [] as Error[],
      consumer: fx!.log.consumer({ groupId, topics: [topic] }),
    };
    consumers.push(m.consumer);
    m.consumer.onError((e) => m.errors.push(e));
    await m.consumer.connect();
    await m.consumer.run({
      eachBatch: async (b: ConsumedBatch) => void m.records.push(...b.records),
      onAssign: async (tps) => void m.assigned.push(...tps),
      onRevoke: async (tps) => void m.revoked.push(...tps),
    });
    return m;
  };

  await sendN(0, 30);
  const a = await member();
  await waitFor(() => a.records.length >= 30, 'member A reading the first 30');
  expect(a.assigned.map((tp) => tp.partition).sort()).toEqual([0, 1, 2]);

  const b = await member();
  await waitFor(() => b.assigned.length > 0 && a.revoked.length > 0, 'the rebalance');
  const bParts = new Set(b.assigned.map((tp) => tp.partition));
  expect(new Set(a.revoked.map((tp) => tp.partition))).toEqual(bParts);

  await sendN(30, 60);
  await waitFor(
    () =>
      a.records.length + b.records.length >=
      90 + [...bParts].reduce((s, p) => s + a.records.filter((r) => r.partition === p && JSON.parse(r.value).i < 30).length, 0),
    'the next 60 records',
  );
  await sleep(500);
  for (const m of [a, b]) {
    const keys = m.records.map((r) => `${r.partition}@${r.offset}`);
    expect(new Set(keys).size).toBe(keys.length); // never twice to the same member
    expect(m.errors).toEqual([]);
  }
  // every record of the second round reached exactly one member, the one owning its partition
  const second = [...a.records, ...b.records].filter((r) => JSON.parse(r.value).i >= 30);
  expect(second.map((r) => JSON.parse(r.value).i).sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => 30 + i));
  for (const r of b.records) expect(bParts.has(r.partition)).toBe(true);
  await producer.close();
});

test('a handler that throws stops the consumer and reaches onError', async () => {
  fx = kafkaFixture();
  const topic = await topicOf(fx, 'fatal');
  const producer = fx.log.producer();
  await producer.send([
    { topic, key: 'a', value: '1' },
    { topic, key: 'a', value: '2' },
  ]);
  await producer.close();
  const errors: Error[] = [];
  let calls = 0;
  const c = fx.log.consumer({ groupId: fx.topic('g-fatal'), topics: [topic], maxBatchRecords: 1 });
  consumers.push(c);
  c.onError((e) => errors.push(e));
  await c.connect();
  await c.run({
    eachBatch: async () => {
      calls++;
      throw new Error('lake is full');
    },
  });
  await waitFor(() => errors.length > 0, 'the error');
  await sleep(500);
  expect(errors.map((e) => e.message)).toEqual(['lake is full']);
  expect(calls).toBe(1);
  await expect(c.commit([{ topic, partition: 0, offset: 1 }])).rejects.toMatchObject({ code: 'LOG_UNAVAILABLE' });
});

test('a producer starts without kafkajs noise: its warning about limited retries is expected and dropped', async () => {
  fx = kafkaFixture();
  const topic = await topicOf(fx, 'quiet');
  const lines: string[] = [];
  const log = new KafkaLog(fx.cfg, { logger: createLogger({ level: 'debug', json: true, write: (l) => lines.push(l) }) });
  const producer = log.producer();
  await producer.connect();
  const [r] = await producer.send([{ topic, key: 'k', value: '{"i":1}' }]);
  await producer.close();
  expect(r).toMatchObject({ topic, offset: 0 });
  expect(lines.filter((l) => l.includes('Limiting retries'))).toEqual([]);
  expect(lines.some((l) => l.includes('Kafka producer connected'))).toBe(true); // the logger did receive the producer's lines
});
