/** The embedded log in one process: frames, partitioner, torn tails, segments and index, failures, topics. */
import { expect, test } from '@jest/globals';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { BAD, frameBytes, INCOMPLETE, parseFrame, tableCrc32, writeFrame, type FrameView } from '../../src/connectors/log/embedded-frame.js';
import { murmur2, partitionForKey } from '../../src/connectors/log/embedded-topics.js';
import { PinpipeError } from '../../src/core/errors.js';
import { sleep } from '../support/wait.js';
import { newLog, readAll, tmpConfigs } from './log-embedded-helpers.js';

const cfgFor = tmpConfigs();

const keyFor = (partition: number, partitions = 3): string => {
  for (let i = 0; ; i++) if (partitionForKey(Buffer.from(`key${i}`), partitions) === partition) return `key${i}`;
};

test('frames round-trip key, value, offset and timestamp; a changed byte or a cut frame is detected', () => {
  const key = Buffer.from('ключ');
  const value = Buffer.from('{"v":"✓ ok"}');
  const buf = Buffer.alloc(frameBytes(key.length, value.length) + frameBytes(0, 0));
  const end1 = writeFrame(buf, 0, 123456789012, 1795000000000, key, value);
  const end2 = writeFrame(buf, end1, 5, 7, null, Buffer.alloc(0));
  expect(end2).toBe(buf.length);
  const f = parseFrame(buf, 0, buf.length) as FrameView;
  expect([f.offset, f.timestamp, buf.toString('utf8', f.keyStart, f.keyEnd), buf.toString('utf8', f.valueStart, f.end), f.end]).toEqual([
    123456789012,
    1795000000000,
    'ключ',
    '{"v":"✓ ok"}',
    end1,
  ]);
  const g = parseFrame(buf, end1, buf.length) as FrameView;
  expect([g.offset, g.timestamp, g.keyStart, g.valueStart, g.end]).toEqual([5, 7, -1, end2, end2]);
  expect(parseFrame(buf, 0, end1 - 1)).toBe(INCOMPLETE);
  expect(parseFrame(buf, 0, 5)).toBe(INCOMPLETE);
  const bad = Buffer.from(buf);
  bad[end1 - 2] ^= 0x20;
  expect(parseFrame(bad, 0, bad.length)).toBe(BAD);
  const huge = Buffer.from(buf);
  huge.writeUInt32LE(0xfffffff0, 0);
  expect(parseFrame(huge, 0, huge.length)).toBe(BAD);
  for (const s of ['', 'a', 'hello world', '✓'.repeat(1000)]) expect(tableCrc32(Buffer.from(s))).toBe(zlib.crc32(Buffer.from(s)));
});

test("the partitioner is Kafka's murmur2 (same partitions as the Kafka default partitioner)", () => {
  // vectors from Apache Kafka's UtilsTest.testMurmur2
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [s, h] of vectors) expect(murmur2(Buffer.from(s))).toBe(h);
  expect(partitionForKey(Buffer.from('foobar'), 3)).toBe((-790332482 & 0x7fffffff) % 3);
});

test('a torn tail is ignored by readers and cut off by the next writer; offsets continue', async () => {
  const cfg = cfgFor();
  const log = newLog(cfg);
  const key = keyFor(1);
  const p = log.producer();
  await p.send(Array.from({ length: 10 }, (_, i) => ({ topic: 'torn', key, value: JSON.stringify({ i }) })));
  const seg = path.join(cfg.dataDir, 'log/torn/1/00000000000000000000.log');
  const good = statSync(seg).size;
  // half of a frame, as a writer killed mid-write would leave it
  const frame = Buffer.alloc(frameBytes(key.length, 200));
  writeFrame(frame, 0, 10, Date.now(), Buffer.from(key), Buffer.alloc(200, 0x61));
  appendFileSync(seg, frame.subarray(0, 120));

  const admin = log.admin();
  expect(await admin.endOffsets('torn')).toEqual([0, 10, 0]);
  expect((await readAll(log, 'torn'))[1]!.map((r) => r.offset)).toEqual([...Array(10).keys()]);
  // a running consumer sits at the torn tail and then gets the next real record
  const got: number[] = [];
  const consumer = log.consumer({ groupId: 'g', topics: ['torn'] });
  await consumer.run({ eachBatch: async (b) => void got.push(...b.records.map((r) => r.offset)) });
  while (got.length < 10) await sleep(10);
  const [r] = await p.send([{ topic: 'torn', key, value: '{"after":1}' }]);
  expect(r).toEqual({ topic: 'torn', partition: 1, offset: 10 });
  expect(statSync(seg).size).toBe(good + frameBytes(key.length, '{"after":1}'.length));
  while (got.length < 11) await sleep(10);
  expect(got).toEqual([...Array(11).keys()]);
  await consumer.close();

  // garbage with a plausible length and a wrong CRC is torn too
  const junk = Buffer.alloc(64, 0x7a);
  junk.writeUInt32LE(40, 0);
  appendFileSync(seg, junk);
  expect(await admin.endOffsets('torn')).toEqual([0, 11, 0]);
  const [r2] = await p.send([{ topic: 'torn', key, value: '{"after":2}' }]);
  expect(r2!.offset).toBe(11);
  const all = await readAll(newLog(cfg), 'torn');
  expect(all[1]!.map((x) => x.value).slice(-2)).toEqual(['{"after":1}', '{"after":2}']);
  await p.close();
  await admin.close();
});

test('segments roll at their size, are named by base offset, and reads start through the sparse index (even a damaged one)', async () => {
  const cfg = cfgFor(1);
  const log = newLog(cfg, { segmentBytes: 8 * 1024, indexIntervalBytes: 512 });
  const p = log.producer();
  for (let i = 0; i < 600; i += 50)
    await p.send(Array.from({ length: 50 }, (_, j) => ({ topic: 'seg', value: JSON.stringify({ i: i + j, pad: 'p'.repeat(40) }) })));
  await p.close();
  const dir = path.join(cfg.dataDir, 'log/seg/0');
  const segs = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
  expect(segs.length).toBeGreaterThan(3);
  for (const s of segs) {
    const first = parseFrame(readFileSync(path.join(dir, s)), 0, statSync(path.join(dir, s)).size) as FrameView;
    expect(first.offset).toBe(Number(s.slice(0, 20)));
    expect(statSync(path.join(dir, s)).size).toBeLessThan(8 * 1024 + 50 * 100);
  }
  expect(readdirSync(dir).filter((f) => f.endsWith('.idx')).length).toBeGreaterThan(0);

  const startAt = async (offset: number, group: string) => {
    const c = log.consumer({ groupId: group, topics: ['seg'], maxBatchRecords: 7 });
    await c.commit([{ topic: 'seg', partition: 0, offset }]);
    const seen: number[] = [];
    await c.run({ eachBatch: async (b) => void seen.push(...b.records.map((r) => r.offset)) });
    while (seen.length < 600 - offset) await sleep(5);
    await c.close();
    return seen;
  };
  const expectFrom = (from: number) => Array.from({ length: 600 - from }, (_, i) => from + i);
  expect(await startAt(377, 'a')).toEqual(expectFrom(377));
  expect(await startAt(599, 'b')).toEqual(expectFrom(599));
  // index entries are hints: wrong positions, a cut entry, or no index at all still read right
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.idx'))) {
    const idx = readFileSync(path.join(dir, f));
    for (let at = 8; at + 8 <= idx.length; at += 32) idx.writeUIntLE(idx.readUIntLE(at, 6) + 13, at, 6);
    writeFileSync(path.join(dir, f), Buffer.concat([idx, Buffer.from([1, 2, 3])]));
  }
  expect(await startAt(250, 'c')).toEqual(expectFrom(250));
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.idx'))) rmSync(path.join(dir, f));
  expect(await startAt(421, 'd')).toEqual(expectFrom(421));
  const admin = log.admin();
  expect(await admin.endOffsets('seg')).toEqual([600]);
  await admin.close();
});

test('a file-system failure rejects the send with a retriable LOG_UNAVAILABLE; other partitions still work', async () => {
  const cfg = cfgFor();
  const log = newLog(cfg);
  const p = log.producer();
  await log.admin().ensureTopics(['fail']);
  const pdir = path.join(cfg.dataDir, 'log/fail/2');
  rmSync(pdir, { recursive: true });
  writeFileSync(pdir, 'not a directory');
  const err = await p.send([{ topic: 'fail', key: keyFor(2), value: '{}' }]).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PinpipeError);
  expect((err as PinpipeError).code).toBe('LOG_UNAVAILABLE');
  expect((err as PinpipeError).retriable).toBe(true);
  expect((await p.send([{ topic: 'fail', key: keyFor(0), value: '{}' }]))[0]).toEqual({ topic: 'fail', partition: 0, offset: 0 });
  rmSync(pdir);
  expect((await p.send([{ topic: 'fail', key: keyFor(2), value: '{}' }]))[0]).toEqual({ topic: 'fail', partition: 2, offset: 0 });
  await p.close();
});

test('topics: partition count fixed at creation in meta.json; names are checked; offsets live under _groups', async () => {
  const cfg = cfgFor(3);
  const log = newLog(cfg);
  const admin = log.admin();
  await admin.ensureTopics(['fixed']);
  const meta = JSON.parse(readFileSync(path.join(cfg.dataDir, 'log/fixed/meta.json'), 'utf8'));
  expect(meta).toMatchObject({ format: 1, partitions: 3 });
  const wider = newLog({ ...cfg, log: { ...cfg.log, partitions: 5 } });
  expect(await wider.admin().partitionCount('fixed')).toBe(3);
  expect(await wider.admin().endOffsets('fixed')).toEqual([0, 0, 0]);
  await expect(admin.ensureTopics(['../escape'])).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  await expect(admin.ensureTopics(['_groups'])).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  await expect(admin.partitionCount('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });

  const c = log.consumer({ groupId: 'odd/group name', topics: ['fixed'] });
  await c.commit([{ topic: 'fixed', partition: 1, offset: 4, metadata: '{"day":"2026-11-27"}' }]);
  await c.close();
  const gdirs = readdirSync(path.join(cfg.dataDir, 'log/_groups'));
  expect(gdirs).toHaveLength(1);
  expect(existsSync(path.join(cfg.dataDir, 'log/_groups', gdirs[0]!, 'fixed.json'))).toBe(true);
  expect(await admin.groupOffsets('odd/group name', 'fixed')).toEqual([-1, 4, -1]);
  const again = log.consumer({ groupId: 'odd/group name', topics: ['fixed'] });
  expect(await again.committed([{ topic: 'fixed', partition: 1 }])).toEqual([{ topic: 'fixed', partition: 1, offset: 4, metadata: '{"day":"2026-11-27"}' }]);
  await again.close();
  await admin.close();
});
