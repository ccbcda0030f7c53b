/** Records sent through KafkaLog, read back by an independent client (kcat, Debian's kafkacat). */
import { afterEach, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { kafkaFixture, type KafkaFixture } from '../support/kafka.js';

const run = promisify(execFile);
let fx: KafkaFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

test('kcat reads back exactly what KafkaLog wrote: values, keys, partitions and offsets', async () => {
  fx = kafkaFixture();
  const topic = fx.topic('kcat');
  const admin = fx.log.admin();
  await admin.ensureTopics([topic]);
  await admin.close();

  const messages = Array.from({ length: 50 }, (_, i) => ({
    topic,
    key: String(1000 + (i % 7)),
    value: JSON.stringify({ ind: 1000 + (i % 7), i, title: `pin ${i} — ünïcode ✓` }),
  }));
  const producer = fx.log.producer();
  await producer.connect();
  const results = [...(await producer.send(messages.slice(0, 30))), ...(await Promise.all(messages.slice(30).map((m) => producer.send([m])))).flat()];
  await producer.close();

  const { stdout } = await run('kcat', ['-C', '-b', fx.cfg.log.kafka.brokers.join(','), '-t', topic, '-e', '-o', 'beginning', '-q', '-f', '%p\t%o\t%k\t%s\n'], {
    timeout: 30_000,
  });
  const lines = stdout.split('\n').filter(Boolean);
  expect(lines).toHaveLength(50);
  const read = new Map(
    lines.map((l) => {
      const [p, o, k, v] = l.split('\t');
      return [`${p}@${o}`, { key: k, value: v }];
    }),
  );
  results.forEach((r, i) => {
    expect(read.get(`${r.partition}@${r.offset}`)).toEqual({ key: messages[i]!.key, value: messages[i]!.value });
  });
  expect(new Set([...read.values()].map((x) => x.value))).toEqual(new Set(messages.map((m) => m.value)));
});
