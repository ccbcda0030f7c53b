/**
 * Child process for the cross-process tests of the embedded log (run with `node --import tsx`).
 *   produce <dataDir> <topic> <tag> <n>   n records {tag, i}: concurrent single sends and bulk sends
 *   produce-forever <dataDir> <topic>     sends of growing size until killed; after each resolved
 *                                         send prints "ack <first i> <last i>" (synchronously)
 *   hold-group <dataDir> <topic> <group>  joins the group, prints "joined", then waits to be killed
 */
import { writeSync } from 'node:fs';
import { EmbeddedLog } from '../../src/connectors/log/embedded.js';
import { loadConfig } from '../../src/core/config.js';

const [mode, dataDir, topic, a, b] = process.argv.slice(2);
const log = new EmbeddedLog(loadConfig({ env: {}, flags: { dataDir: dataDir! } }), { segmentBytes: 1024 * 1024, indexIntervalBytes: 4096 });

if (mode === 'produce') {
  const tag = a!;
  const n = Number(b);
  const producer = log.producer();
  await producer.connect();
  let i = 0;
  const single = async () => {
    while (i < n / 2) {
      const k = i++;
      await producer.send([{ topic: topic!, key: `${tag}${k % 7}`, value: JSON.stringify({ tag, i: k }) }]);
    }
  };
  await Promise.all(Array.from({ length: 40 }, single));
  while (i < n) {
    const from = i;
    const to = Math.min(n, i + 250);
    i = to;
    await producer.send(Array.from({ length: to - from }, (_, j) => ({ topic: topic!, value: JSON.stringify({ tag, i: from + j }) })));
  }
  await producer.close();
} else if (mode === 'produce-forever') {
  const producer = log.producer();
  await producer.connect();
  const pad = 'x'.repeat(900);
  let i = 0;
  for (let size = 1; ; size = (size * 2) % 8191) {
    const from = i;
    const msgs = Array.from({ length: size }, () => ({ topic: topic!, key: `k${i % 5}`, value: JSON.stringify({ i: i++, pad }) }));
    await producer.send(msgs);
    writeSync(1, `ack ${from} ${i - 1}\n`);
  }
} else if (mode === 'hold-group') {
  const consumer = log.consumer({ groupId: a!, topics: [topic!] });
  await consumer.connect();
  writeSync(1, 'joined\n');
  setInterval(() => {}, 1000);
} else {
  throw new Error(`unknown mode ${mode}`);
}
