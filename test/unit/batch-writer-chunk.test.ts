import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { accepts, chunkBody, chunkKey, type Chunk } from '../../src/pipeline/batch-writer/chunk.js';
import { cutChunks } from '../support/chunks.js';
import { stampOf } from '../../src/pipeline/batch-writer/stamp.js';
import { parseRawChunkKey } from '../../src/pipeline/raw-keys.js';
import { discard, drain, finish } from '../../src/pipeline/batch-writer/compress.js';
import { gunzipSync } from 'node:zlib';

const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);
const rec = (offset: number, ms: number) => ({ offset, stamp: stampOf(ms), line: `{"o":${offset}}` });
const runs = (cs: Chunk[]) => cs.map((c) => [c.firstOffset, c.lastOffset]);
const limits = { chunkRecords: 3, chunkSpan: 60_000 };

describe('chunk closing rules', () => {
  test('closes at chunkRecords', () => {
    const { closed, open } = cutChunks(
      'pin',
      0,
      [0, 1, 2, 3, 4, 5, 6].map((o) => rec(o, T0 + o)),
      limits,
    );
    expect(runs(closed)).toEqual([
      [0, 2],
      [3, 5],
    ]);
    expect(open && [open.firstOffset, open.lastOffset, open.count]).toEqual([6, 6, 1]);
  });

  test('closes before a record of another hour, and across midnight', () => {
    const ms = [T0 + 3_599_000, T0 + 3_599_999, T0 + 3_600_000, Date.UTC(2026, 10, 27, 23, 59, 59), Date.UTC(2026, 10, 28, 0, 0, 0)];
    const { closed, open } = cutChunks(
      'geo',
      1,
      ms.map((m, i) => rec(i, m)),
      { chunkRecords: 100, chunkSpan: 86_400_000 },
    );
    expect(closed.map((c) => [c.firstOffset, c.lastOffset, c.day, c.hour])).toEqual([
      [0, 1, '2026-11-27', '10'],
      [2, 2, '2026-11-27', '11'],
      [3, 3, '2026-11-27', '23'],
    ]);
    expect(open && [open.firstOffset, open.day, open.hour]).toEqual([4, '2026-11-28', '00']);
  });

  test('closes when the record-time span would exceed chunkSpan (equal is still in)', () => {
    const { closed, open } = cutChunks('user', 2, [rec(0, T0), rec(1, T0 + 60_000), rec(2, T0 + 60_001)], { chunkRecords: 100, chunkSpan: 60_000 });
    expect(runs(closed)).toEqual([[0, 1]]);
    expect(open?.firstOffset).toBe(2);
  });

  test('span counts records out of order in either direction', () => {
    const c = cutChunks('pin', 0, [rec(0, T0 + 30_000)], { chunkRecords: 100, chunkSpan: 60_000 }).open!;
    expect(accepts(c, stampOf(T0), { chunkRecords: 100, chunkSpan: 60_000 })).toBe(true);
    const { closed } = cutChunks('pin', 0, [rec(1, T0), rec(2, T0 + 90_001)], { chunkRecords: 100, chunkSpan: 60_000 }, c);
    expect(runs(closed)).toEqual([[0, 1]]);
  });

  test('key and body of a chunk', () => {
    const { open } = cutChunks('pin', 2, [rec(41, T0 + 5), rec(42, T0 + 6)], limits);
    expect(chunkKey(open!)).toBe('raw/pin/dt=2026-11-27/hr=10/pin+2+0000000041.ndjson.gz');
    expect(parseRawChunkKey(chunkKey(open!))).toEqual({ topic: 'pin', day: '2026-11-27', hour: '10', partition: 2, firstOffset: 41 });
    expect(chunkBody(open!)).toBe('{"o":41}\n{"o":42}\n');
  });

  test('incremental gzip (drained batch by batch) decompresses to the whole body', async () => {
    const recs = Array.from({ length: 25 }, (_, i) => rec(i, T0 + i));
    const lim = { chunkRecords: 100, chunkSpan: 60_000 };
    const whole = chunkBody(cutChunks('pin', 0, recs, lim).open!);
    let open = cutChunks('pin', 0, recs.slice(0, 10), lim).open!;
    drain(open);
    expect(open.lines).toEqual([]);
    open = cutChunks('pin', 0, recs.slice(10), lim, open).open!;
    expect(gunzipSync(await finish(open)).toString('utf8')).toBe(whole);
    const dropped = cutChunks('pin', 0, recs, lim).open!;
    drain(dropped);
    discard(dropped);
    expect(dropped.lines).toEqual([]);
  });

  test('property: chunks partition the records in order, each in one hour, within limits, closed for a reason', () => {
    const gen = fc.record({
      chunkRecords: fc.integer({ min: 1, max: 20 }),
      chunkSpan: fc.integer({ min: 0, max: 900_000 }),
      steps: fc.array(fc.integer({ min: -120_000, max: 600_000 }), { maxLength: 200 }),
    });
    fc.assert(
      fc.property(gen, ({ chunkRecords, chunkSpan, steps }) => {
        const lim = { chunkRecords, chunkSpan };
        let t = T0;
        const records = steps.map((d, i) => rec(i * 2, (t += d)));
        const { closed, open } = cutChunks('pin', 0, records, lim);
        const all = open ? [...closed, open] : closed;
        expect(all.flatMap((c) => c.lines)).toEqual(records.map((r) => r.line));
        let i = 0;
        for (const c of all) {
          const mine = records.slice(i, i + c.count);
          i += c.count;
          expect(c.firstOffset).toBe(mine[0]!.offset);
          expect(c.lastOffset).toBe(mine[mine.length - 1]!.offset);
          expect(c.count).toBeLessThanOrEqual(chunkRecords);
          expect(new Set(mine.map((r) => `${r.stamp.day}T${r.stamp.hour}`)).size).toBe(1);
          const ms = mine.map((r) => r.stamp.ms);
          expect(Math.max(...ms) - Math.min(...ms)).toBeLessThanOrEqual(chunkSpan);
          // a closed chunk could not take the next record
          if (c !== open && i < records.length) expect(accepts(c, records[i]!.stamp, lim)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
