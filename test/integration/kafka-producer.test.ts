/**
 * The Kafka log's producer (@platformatic/kafka since 2026-12) against the real broker, beyond the
 * log conformance suite: records of one key land in the partition where the former kafkajs
 * producer (its default murmur2 partitioner) put them, close() delivers what is queued, and the
 * client is initialised at once in a producing process but only at the first send in a consuming one.
 */
import { afterEach, expect, test } from '@jest/globals';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { KafkaLog } from '../../src/connectors/log/kafka.js';
import type { LogRecord } from '../../src/connectors/log/types.js';
import { createLogger } from '../../src/core/logger.js';
import { kafkaBrokers, kafkaFixture, type KafkaFixture } from './kafka-fixture.js';

let fx: KafkaFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

/** a fresh fixture (fx) and one of its topics, created */
async function newTopic(logical: string): Promise<string> {
  fx = kafkaFixture();
  const topic = fx.topic(logical);
  const admin = fx.log.admin();
  await admin.ensureTopics([topic]);
  await admin.close();
  return topic;
}

async function readAll(f: KafkaFixture, topic: string, count: number): Promise<LogRecord[]> {
  const consumer = f.log.consumer({ groupId: `${topic}-read`, topics: [topic], fromBeginning: true });
  const got: LogRecord[] = [];
  await consumer.connect();
  await consumer.run({ eachBatch: async (b) => void got.push(...b.records) });
  const end = Date.now() + 60_000;
  while (got.length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  await consumer.close();
  return got;
}

test('records of one key land in the partition the kafkajs producer chose for it (murmur2, as Java), with the offsets send() reported', async () => {
  const topic = await newTopic('keys');
  const keys = Array.from({ length: 300 }, (_, i) => String(i * 7919)); // keys are String(ind)

  // the former producer: kafkajs with its default partitioner
  const kafka = new Kafka({ clientId: 'pinpipe-test-kafkajs', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const old = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await old.connect();
  await old.send({ topic, acks: -1, messages: keys.map((key) => ({ key, value: JSON.stringify({ by: 'kafkajs', key }) })) });
  await old.disconnect();

  const producer = fx!.log.producer();
  const results = await producer.send(keys.map((key) => ({ topic, key, value: JSON.stringify({ by: 'pinpipe', key }) })));
  await producer.close();

  const records = await readAll(fx!, topic, keys.length * 2);
  expect(records).toHaveLength(keys.length * 2);
  const partitionsOf = new Map<string, Set<number>>();
  for (const r of records) {
    const s = partitionsOf.get(r.key!) ?? new Set<number>();
    s.add(r.partition);
    partitionsOf.set(r.key!, s);
  }
  expect(keys.filter((k) => partitionsOf.get(k)?.size !== 1)).toEqual([]);
  expect(new Set(records.map((r) => r.partition)).size).toBe(3);
  const at = new Map(records.map((r) => [`${r.partition}:${r.offset}`, r]));
  results.forEach((res, i) => expect(at.get(`${res.partition}:${res.offset}`)?.value).toBe(JSON.stringify({ by: 'pinpipe', key: keys[i] })));
}, 90_000);

test('close() delivers the sends still queued, then refuses new ones', async () => {
  const topic = await newTopic('drain');
  const admin = fx!.log.admin();
  const producer = fx!.log.producer();
  await producer.connect();
  const sends = Array.from({ length: 50 }, (_, i) => producer.send([{ topic, key: `k${i}`, value: JSON.stringify({ i }) }]));
  await producer.close();
  expect((await Promise.all(sends)).flat()).toHaveLength(50);
  expect((await admin.endOffsets(topic)).reduce((a, b) => a + b, 0)).toBe(50);
  await admin.close();
  await expect(producer.send([{ topic, value: '{}' }])).rejects.toMatchObject({ code: 'INTERNAL' });
}, 60_000);

test('a producing process initialises its client right after connect(); a consuming one (dead letters only) at its first send', async () => {
  const topic = await newTopic('lazy');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const connectedLines = (lines: string[]) => lines.filter((l) => l.includes('Kafka producer connected')).length;
  async function within(ms: number, cond: () => boolean): Promise<boolean> {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await sleep(20);
    return cond();
  }

  const producing: string[] = [];
  const api = new KafkaLog(fx!.cfg, { logger: createLogger({ level: 'debug', json: true, write: (l) => producing.push(l) }) }).producer();
  await api.connect();
  expect(await within(15_000, () => connectedLines(producing) === 1)).toBe(true);
  await api.close();

  const consuming: string[] = [];
  const log = new KafkaLog(fx!.cfg, { logger: createLogger({ level: 'debug', json: true, write: (l) => consuming.push(l) }) });
  const producer = log.producer();
  await producer.connect();
  const consumer = log.consumer({ groupId: `${topic}-g`, topics: [topic] });
  await sleep(1_500);
  expect(connectedLines(consuming)).toBe(0);
  const [r] = await producer.send([{ topic, key: 'k', value: '{"dead":"letter"}' }]);
  expect(r).toMatchObject({ topic, offset: 0 });
  expect(connectedLines(consuming)).toBe(1);
  await producer.close();
  await consumer.close();
}, 60_000);
