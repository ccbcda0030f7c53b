import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildPool, eventIdOf, isoMaker, logValue, rawLine, uuidOf } from '../../src/bench/rawgen/lines.js';
import { partitionOfKey, planRaw } from '../../src/bench/rawgen/plan.js';
import { generateRaw, rawSpec } from '../../src/bench/rawgen/run.js';
import { stampRecord } from '../../src/pipeline/batch-writer/stamp.js';
import { chunkKey } from '../../src/pipeline/batch-writer/chunk.js';
import { cutChunks } from '../support/chunks.js';
import { partitionForKey } from '../../src/connectors/log/embedded-topics.js';
import { parseRawChunkKey } from '../../src/pipeline/raw-keys.js';
import { validateRaw } from '../../src/core/records.js';
import { expectKeyOfLines } from '../support/raw.js';

const pool = buildPool(1, 256);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('bench raw generator: records', () => {
  test('lines are a pure function of (seed, k, topic); another seed gives other values', () => {
    const at = '2026-11-26T05:06:07.089Z';
    expect(rawLine(buildPool(1, 256), 1, 42, 0, at, 2, 17)).toBe(rawLine(pool, 1, 42, 0, at, 2, 17));
    expect(logValue(pool, 1, 42, 1, at)).toBe(logValue(pool, 1, 42, 1, at));
    const other = buildPool(2, 256);
    expect(rawLine(other, 2, 42, 0, at, 2, 17)).not.toBe(rawLine(pool, 1, 42, 0, at, 2, 17));
    expect(uuidOf(1, 42)).toBe(uuidOf(1, 42));
    expect(uuidOf(1, 42)).not.toBe(uuidOf(1, 43));
    expect(uuidOf(2, 42)).not.toBe(uuidOf(1, 42));
  });

  test('values are valid API records with their stamps; unique_id is a UUID', () => {
    const at = '2026-11-26T00:00:00.000Z';
    for (let k = 0; k < 300; k++) {
      for (const t of [0, 1, 2] as const) {
        const v = JSON.parse(logValue(pool, 1, k, t, at));
        expect(validateRaw((['pin', 'geo', 'user'] as const)[t], v).ok).toBe(true);
        expect(v.event_id).toBe(eventIdOf(1, k, t));
        expect(v.ingested_at).toBe(at);
        expect(t === 0 ? v.index : v.ind).toBe(k);
        if (t === 0) expect(v.unique_id).toMatch(UUID);
      }
    }
  });

  test("a raw line is exactly what consume-batch's stamping makes of the log value", () => {
    const at = '2026-11-26T13:59:59.999Z';
    for (const [k, t, p, o] of [
      [0, 0, 0, 0],
      [7528, 0, 2, 99],
      [5, 1, 1, 3],
      [123456, 2, 0, 4_000_000],
    ] as const) {
      const stamped = stampRecord(logValue(pool, 1, k, t, at), p, o);
      expect(stamped.ok).toBe(true);
      if (stamped.ok) {
        expect(stamped.line).toBe(rawLine(pool, 1, k, t, at, p, o));
        expect(stamped.stamp).toMatchObject({ day: '2026-11-26', hour: '13' });
      }
    }
  });

  test('isoMaker gives toISOString', () => {
    const iso = isoMaker();
    for (const ms of [0, 999, 1000, 1_764_115_200_000, 1_764_115_200_000 + 86_399_999, 1_764_115_200_001]) expect(iso(ms)).toBe(new Date(ms).toISOString());
  });

  test('partitions are those of the log (murmur2 of String(k))', () => {
    for (const k of [0, 1, 9, 10, 99, 12345, 3_333_333]) expect(partitionOfKey(k, 3)).toBe(partitionForKey(Buffer.from(String(k)), 3));
  });
});

describe('bench raw generator: plan', () => {
  test('tasks cover every record once, with consecutive offsets per topic-partition', () => {
    const plan = planRaw(rawSpec({ records: 10_000, day: '2026-11-26', spanMs: 5 * 3_600_000 }));
    expect(plan.postings).toBe(3334);
    expect(plan.perTopic).toEqual([3334, 3333, 3333]);
    const byTp = new Map<string, { firstOffset: number; count: number }[]>();
    for (const t of plan.tasks) byTp.set(`${t.topic}:${t.partition}`, [...(byTp.get(`${t.topic}:${t.partition}`) ?? []), t]);
    let total = 0;
    for (const list of byTp.values()) {
      list.sort((a, b) => a.firstOffset - b.firstOffset);
      let next = 0;
      for (const t of list) {
        expect(t.firstOffset).toBe(next);
        next += t.count;
      }
      total += next;
    }
    expect(total).toBe(10_000);
    expect(new Set(plan.tasks.map((t) => t.hour))).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  test('bad specs are refused', () => {
    expect(() => planRaw(rawSpec({ records: 0, day: '2026-11-26' }))).toThrow(/records/);
    expect(() => planRaw(rawSpec({ records: 10, day: '2026-13-01' }))).toThrow(/day/);
    expect(() => planRaw(rawSpec({ records: 10, day: '2026-11-26', spanMs: 2 * 86_400_000 }))).toThrow(/spanMs/);
  });
});

interface Obj {
  key: string;
  lines: Record<string, unknown>[];
  text: string;
}

function readLake(dir: string): Obj[] {
  const out: Obj[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.ndjson.gz')) {
        const text = gunzipSync(readFileSync(p)).toString('utf8');
        out.push({
          key: path.relative(dir, p).split(path.sep).join('/'),
          text,
          lines: text
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l)),
        });
      }
    }
  };
  walk(path.join(dir, 'raw'));
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

describe('bench raw generator: objects', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'bench-rawgen-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const spec = rawSpec({ records: 20_000, day: '2026-11-26', spanMs: 3 * 3_600_000, chunkRecords: 700, chunkSpanMs: 60_000, poolSize: 1024, seed: 5 });

  test('deterministic: the same spec writes the same keys and the same lines', async () => {
    const a = tmp();
    const b = tmp();
    const ra = await generateRaw(spec, a, { workers: 0 });
    await generateRaw(spec, b, { workers: 0 });
    const oa = readLake(a);
    const ob = readLake(b);
    expect(oa.map((o) => o.key)).toEqual(ob.map((o) => o.key));
    expect(oa.map((o) => o.text)).toEqual(ob.map((o) => o.text));
    expect(ra.records).toBe(20_000);
    expect(ra.objects).toBe(oa.length);
    expect(oa.reduce((n, o) => n + o.lines.length, 0)).toBe(20_000);
    for (const t of ['pin', 'geo', 'user'])
      expect(JSON.parse(readFileSync(path.join(a, 'raw', t, 'dt=2026-11-26', '_SUCCESS'), 'utf8'))).toMatchObject({ topic: t, day: '2026-11-26' });
    const c = tmp();
    await generateRaw({ ...spec, seed: 6 }, c, { workers: 0 });
    expect(readLake(c)[0]!.text).not.toBe(oa[0]!.text);
  });

  test("objects follow the raw-zone layout and consume-batch's chunking rules exactly", async () => {
    const dir = tmp();
    await generateRaw(spec, dir, { workers: 0 });
    const objs = readLake(dir);
    const byTp = new Map<string, Obj[]>();
    for (const o of objs) {
      const k = parseRawChunkKey(o.key)!;
      expect(k).not.toBeNull();
      expectKeyOfLines(o.key, k, o.lines);
      byTp.set(`${k.topic}+${k.partition}`, [...(byTp.get(`${k.topic}+${k.partition}`) ?? []), o]);
    }
    expect(byTp.size).toBe(9);
    for (const [tp, list] of byTp) {
      const [topic, partition] = tp.split('+') as [string, string];
      list.sort((x, y) => (x.lines[0]!._offset as number) - (y.lines[0]!._offset as number));
      const lines = list.flatMap((o) => o.text.trimEnd().split('\n'));
      // offsets run 0, 1, 2, ... with no gap or repeat
      lines.forEach((l, i) => expect(JSON.parse(l)._offset).toBe(i));
      // consume-batch's own chunk step (PartitionState.place), fed the same log values, makes the same chunks
      const records = lines.map((line) => {
        const v = JSON.parse(line);
        const offset = v._offset as number;
        delete v._partition;
        delete v._offset;
        const s = stampRecord(JSON.stringify(v), Number(partition), offset);
        if (!s.ok) throw new Error(s.reason);
        return { offset, stamp: s.stamp, line: s.line };
      });
      const cut = cutChunks(topic, Number(partition), records, { chunkRecords: spec.chunkRecords, chunkSpan: spec.chunkSpanMs });
      const ref = [...cut.closed, ...(cut.open ? [cut.open] : [])];
      expect(ref.map((c) => chunkKey(c))).toEqual(list.map((o) => o.key));
      expect(ref.map((c) => c.lines.join('\n') + '\n')).toEqual(list.map((o) => o.text));
    }
  });

  test('the day markers exist even for a tiny data set', async () => {
    const dir = tmp();
    const r = await generateRaw(rawSpec({ records: 2, day: '2026-01-01', poolSize: 16 }), dir, { workers: 0 });
    expect(r.perTopic).toEqual([1, 1, 0]);
    expect(existsSync(path.join(dir, 'raw', 'user', 'dt=2026-01-01', '_SUCCESS'))).toBe(true);
    const p = partitionOfKey(0, 3);
    expect(readLake(dir).map((o) => o.key)).toEqual([
      `raw/geo/dt=2026-01-01/hr=00/geo+${p}+0000000000.ndjson.gz`,
      `raw/pin/dt=2026-01-01/hr=00/pin+${p}+0000000000.ndjson.gz`,
    ]);
  });
});
