/** Delivery rules of the embedded log's consumer, and a printed throughput sanity check. */
import { expect, test } from '@jest/globals';
import type { ConsumedBatch, TopicPartition } from '../../src/connectors/log/types.js';
import { sleep, waitFor as waitUntil } from '../support/wait.js';
import { newLog, tmpConfigs } from './log-embedded-helpers.js';

const cfgFor = tmpConfigs();

const waitFor = (cond: () => boolean, what: string, ms = 20_000) => waitUntil(cond, what, ms, 5);

test('onAssign gets every partition before any batch; batches go round-robin, default 2000 records, never empty; onRevoke at close', async () => {
  const cfg = cfgFor(3);
  const log = newLog(cfg);
  const p = log.producer();
  for (const topic of ['ta', 'tb']) {
    for (let part = 0; part < 3; part++) {
      // no key: round-robin, so 3 × 5000 puts 5000 in each partition
      await p.send(Array.from({ length: 5000 }, (_, i) => ({ topic, value: JSON.stringify({ i, part }) })));
    }
  }
  const events: string[] = [];
  const batches: ConsumedBatch[] = [];
  let assigned: TopicPartition[] = [];
  let revoked: TopicPartition[] = [];
  const c = log.consumer({ groupId: 'rr', topics: ['ta', 'tb'] });
  await c.run({
    onAssign: async (tps) => {
      assigned = tps;
      events.push('assign');
    },
    eachBatch: async (b) => {
      events.push(`${b.topic}/${b.partition}`);
      batches.push(b);
    },
    onRevoke: async (tps) => {
      revoked = tps;
      events.push('revoke');
    },
  });
  await waitFor(() => batches.reduce((n, b) => n + b.records.length, 0) >= 30_000, 'all 30000 records');
  await sleep(150); // caught up: nothing more, in particular no empty batch
  await c.close();
  const all = ['ta/0', 'ta/1', 'ta/2', 'tb/0', 'tb/1', 'tb/2'];
  expect(assigned.map((tp) => `${tp.topic}/${tp.partition}`).sort()).toEqual(all);
  expect(revoked.map((tp) => `${tp.topic}/${tp.partition}`).sort()).toEqual(all);
  expect(events[0]).toBe('assign');
  expect(events[events.length - 1]).toBe('revoke');
  // round-robin: the first six batches are one from each partition
  expect([...events.slice(1, 7)].sort()).toEqual(all);
  expect(batches.map((b) => b.records.length)).toEqual(Array(6).fill(2000).concat(Array(6).fill(2000), Array(6).fill(1000)));
  for (const b of batches) expect(b.highWatermark).toBe(5000);
});

test('a caught-up consumer gets new appends promptly; seek in onAssign sets the start; a failing batch reaches onError and stops delivery', async () => {
  const cfg = cfgFor(1);
  const log = newLog(cfg);
  const p = log.producer();
  await p.send(Array.from({ length: 10 }, (_, i) => ({ topic: 'live', value: String(i) })));
  const seen: number[] = [];
  const errors: Error[] = [];
  let fail = false;
  const c = log.consumer({ groupId: 'live', topics: ['live'] });
  c.onError((e) => errors.push(e));
  await c.run({
    onAssign: async (tps) => c.seek(tps[0]!, 6),
    eachBatch: async (b) => {
      if (fail) throw new Error('handler broke');
      seen.push(...b.records.map((r) => r.offset));
    },
  });
  await waitFor(() => seen.length >= 4, 'records 6..9');
  expect(seen).toEqual([6, 7, 8, 9]);
  const latencies: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t0 = Date.now();
    await p.send([{ topic: 'live', value: 'new' }]);
    await waitFor(() => seen.length >= 5 + k, 'a new record');
    latencies.push(Date.now() - t0);
  }
  expect(Math.max(...latencies)).toBeLessThan(1000);
  fail = true;
  await p.send([{ topic: 'live', value: 'boom' }]);
  await waitFor(() => errors.length > 0, 'the error');
  expect(errors[0]!.message).toBe('handler broke');
  await p.send([{ topic: 'live', value: 'later' }]);
  await sleep(200);
  expect(seen).toHaveLength(9);
  await c.close();
  await p.close();
});

test('throughput sanity (printed, not asserted)', async () => {
  const cfg = cfgFor(3);
  const log = newLog(cfg);
  const p = log.producer();
  const value = JSON.stringify({ index: 1, unique_id: 'a'.repeat(36), title: 't'.repeat(120), description: 'd'.repeat(200), follower_count: '10k' });
  let t0 = Date.now();
  let next = 0;
  const n1 = 20_000;
  await Promise.all(
    Array.from({ length: 500 }, async () => {
      while (next < n1) {
        const i = next++;
        await p.send([{ topic: 'tp', key: String(i), value }]);
      }
    }),
  );
  const singles = n1 / ((Date.now() - t0) / 1000);
  t0 = Date.now();
  const n2 = 200_000;
  for (let i = 0; i < n2; i += 10_000) await p.send(Array.from({ length: 10_000 }, (_, j) => ({ topic: 'tp', key: String(i + j), value })));
  const bulk = n2 / ((Date.now() - t0) / 1000);
  await p.close();
  t0 = Date.now();
  let got = 0;
  const c = log.consumer({ groupId: 'tp', topics: ['tp'] });
  await c.run({ eachBatch: async (b) => void (got += b.records.length) });
  await waitFor(() => got >= n1 + n2, 'all records', 50_000);
  const consumed = got / ((Date.now() - t0) / 1000);
  await c.close();
  console.log(
    `embedded log throughput: ${Math.round(singles)} rec/s from 500 concurrent single-record sends, ${Math.round(bulk)} rec/s in sends of 10000, ${Math.round(consumed)} rec/s consumed`,
  );
  expect(got).toBe(n1 + n2);
}, 60_000);
