/**
 * Recovery: a partition written by incarnations that crash at random points (after any put,
 * before or after commits, with idle flushes at random moments that a restart cannot reproduce)
 * ends with every valid offset in exactly one object, no overlap. Real LocalLake in a temp dir.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { gunzipSync } from 'node:zlib';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { parseRawChunkKey } from '../../src/pipeline/raw-keys.js';
import type { LogRecord } from '../../src/connectors/log/types.js';
import { loadConfig } from '../../src/core/config.js';
import { chunkBody, chunkKey, type Chunk } from '../../src/pipeline/batch-writer/chunk.js';
import { PartitionState } from '../../src/pipeline/batch-writer/partition.js';
import { summarizeChunkObject, summarizeChunkText } from '../../src/pipeline/batch-writer/recovery.js';
import { gzipText } from '../../src/pipeline/batch-writer/compress.js';
import { tempDirs } from '../support/tmp.js';

const temp = tempDirs('all');
function freshLake(): LocalLake {
  return new LocalLake(loadConfig({ env: {}, flags: { dataDir: temp.make('pinpipe-bw-rec-') } }));
}

const T0 = Date.UTC(2026, 10, 27, 9, 58, 0);
function makeLog(n: number, seed: number): LogRecord[] {
  let t = T0;
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, offset) => {
    t += Math.floor(rnd() * 4000);
    const value = rnd() < 0.03 ? '{"broken": true}' : JSON.stringify({ ind: offset, event_id: `e${offset}`, ingested_at: new Date(t).toISOString() });
    return { topic: 'pin', partition: 1, offset, key: String(offset), value, timestamp: 0 };
  });
}

describe('summarize a raw object', () => {
  test('first/last offset, count and last ingested_at', async () => {
    const text = [
      '{"ingested_at":"2026-11-27T10:00:00.000Z","_partition":0,"_offset":7}',
      '{"ingested_at":"2026-11-27T10:00:01.500Z","_partition":0,"_offset":9}',
      '',
    ].join('\n');
    expect(summarizeChunkText(text, 'k')).toEqual({ firstOffset: 7, lastOffset: 9, count: 2, lastMs: Date.UTC(2026, 10, 27, 10, 0, 1, 500) });
    expect(await summarizeChunkObject(await gzipText(text), 'k')).toEqual(summarizeChunkText(text, 'k'));
    expect(() => summarizeChunkText('{"a":1}\n', 'raw/x')).toThrow('raw object raw/x has a line without _offset or ingested_at');
  });
});

describe('crash at any point, restart, adopt', () => {
  test('property: every valid offset lands in exactly one object', async () => {
    const plan = fc.record({
      seed: fc.integer({ min: 1, max: 1e6 }),
      chunkRecords: fc.integer({ min: 2, max: 12 }),
      // per incarnation: batch sizes, idle-flush coin, crash moment (in writes)
      lives: fc.array(
        fc.record({
          batch: fc.integer({ min: 1, max: 9 }),
          idle: fc.double({ min: 0, max: 0.7, noNaN: true }),
          crashAfter: fc.integer({ min: 0, max: 6 }),
          commitEvery: fc.integer({ min: 1, max: 4 }),
        }),
        { minLength: 1, maxLength: 5 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(plan, async ({ seed, chunkRecords, lives }) => {
        const lake = freshLake();
        const log = makeLog(60, seed);
        const limits = { chunkRecords, chunkSpan: 45_000 };
        let committed = -1;
        let rnd = seed;
        const coin = (p: number) => (rnd = (rnd * 48271) % 2147483647) / 2147483647 < p;
        const lookup = async (k: string) => {
          const gz = await lake.get(k);
          return gz ? summarizeChunkObject(gz, k) : null;
        };
        for (let life = 0; life <= lives.length; life++) {
          const last = life === lives.length; // the final run goes to the end without crashing
          const cfg = lives[life] ?? { batch: 7, idle: 0, crashAfter: Infinity, commitEvery: 1 };
          const st = new PartitionState('pin', 'pin', 1);
          st.committed = committed;
          if (committed >= 0) st.nextOffset = committed;
          let writes = 0;
          let sinceCommit = 0;
          const write = async (c: Chunk) => {
            if (!last && writes >= cfg.crashAfter) return false;
            await lake.put(chunkKey(c), await gzipText(chunkBody(c)));
            writes++;
            return true;
          };
          let crashed = false;
          for (let pos = Math.max(committed, 0); pos < log.length && !crashed; pos += cfg.batch) {
            const ing = await st.ingest(log.slice(pos, pos + cfg.batch), limits, lookup);
            const closed = ing.closed.flatMap((c) => (c.kind === 'chunk' ? [c.chunk] : []));
            if (!last && coin(cfg.idle) && st.open) closed.push(st.takeOpen()!);
            for (const c of closed) if (!(await write(c))) crashed = true;
            if (crashed) break;
            if (++sinceCommit >= cfg.commitEvery) {
              committed = st.position();
              sinceCommit = 0;
            }
          }
          if (last) {
            const rest = st.takeOpen();
            if (rest) await write(rest);
            committed = st.position();
          }
        }
        // verify: offsets of all objects = valid offsets, once each, objects do not overlap
        const keys = (await lake.list('raw/')).map((o) => o.key);
        const ranges: [number, number][] = [];
        const seen: number[] = [];
        for (const k of keys) {
          const lines = gunzipSync((await lake.get(k))!)
            .toString('utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { _offset: number });
          const offs = lines.map((l) => l._offset);
          expect(parseRawChunkKey(k)!.firstOffset).toBe(offs[0]);
          ranges.push([offs[0]!, offs[offs.length - 1]!]);
          seen.push(...offs);
        }
        const valid = log.filter((r) => !r.value.includes('broken')).map((r) => r.offset);
        expect(seen.sort((a, b) => a - b)).toEqual(valid);
        ranges.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1]);
        expect(committed).toBe(log.length);
      }),
      { numRuns: 200 },
    );
  });
});
