/**
 * Dropping columns from a Parquet file by rewriting its footer only (src/engine/parquet/project.ts)
 * and the Thrift compact codec of that footer (src/engine/parquet/thrift.ts): the footer is
 * written back byte for byte, and a file with columns dropped holds the same values, row for row,
 * as the engine's own copy of the kept columns (plain, nested and dictionary-encoded columns,
 * nulls, bloom filters, several row groups). Spark's readers (vectorized and not) were checked
 * by hand to read such a file alike (BENCHMARKS.md, 2026-12-05).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { openEngine, sqlString, withInsertionOrder, type Engine } from '../../src/engine/duckdb.js';
import { dropColumns } from '../../src/engine/parquet/project.js';
import { Reader, T, Writer, type Field } from '../../src/engine/parquet/thrift.js';
import { differingRows } from '../support/parquet-rows.js';
import { tempDirs } from '../support/tmp.js';

const temp = tempDirs('all');
let engine: Engine;
let dir: string;
beforeAll(async () => {
  dir = temp.make('pinpipe-parquet-');
  engine = await openEngine(loadConfig({ env: {}, flags: { dataDir: dir } }), { memoryLimit: '256MB' });
});
afterAll(() => engine.close());

const footer = (file: string): Buffer => {
  const b = readFileSync(file);
  const len = b.readUInt32LE(b.length - 8);
  return b.subarray(b.length - 8 - len, b.length - 8);
};

/** a file of 3 row groups: every kind of column, nulls, dictionary-encoded repeats */
async function writeSample(options: string): Promise<string> {
  const file = path.join(dir, `sample-${Math.abs(options.length)}-${Date.now()}.parquet`);
  const select =
    "SELECT i AS ind, CASE WHEN i % 7 = 0 THEN NULL ELSE concat('title ', i) END AS title, [i, i + 1] AS pair, " +
    "CASE WHEN i % 5 = 0 THEN NULL ELSE string_split('a,b,' || (i % 3), ',') END AS tags, (i % 4 = 0) AS flag, " +
    "i * 0.5 AS half, {'k': i % 3, 'v': 'x' || (i % 2)} AS rec, TIMESTAMP '2026-12-03 00:00:00' + to_seconds(i) AS at, " +
    "CASE WHEN i % 3 = 0 THEN 'cat' ELSE 'dog' END AS pet, i % 11 AS extra FROM range(25000) t(i)";
  await withInsertionOrder(engine, () => engine.run(`COPY (${select}) TO ${sqlString(file)} (${options})`));
  return file;
}

const differing = (a: string, b: string, cols: string[]) => differingRows(engine, a, b, cols.map((c) => `"${c}"`).join(', '), true);

describe('the Thrift compact codec', () => {
  test('a footer written by the engine reads and writes back byte for byte', async () => {
    for (const options of ['FORMAT parquet, ROW_GROUP_SIZE 10000', 'FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, DICTIONARY_SIZE_LIMIT 1']) {
      const bytes = footer(await writeSample(options));
      const r = new Reader(bytes);
      const meta = r.struct();
      expect(r.pos).toBe(bytes.length);
      expect(new Writer().struct(meta).toBuffer().equals(bytes)).toBe(true);
    }
  });

  test('every type, long lists, negative numbers and field ids that jump', () => {
    const fields: Field[] = [
      { id: 1, type: T.TRUE, value: true },
      { id: 2, type: T.FALSE, value: false },
      { id: 3, type: T.I8, value: -5n },
      { id: 4, type: T.I16, value: -300n },
      { id: 20, type: T.I32, value: 2_147_483_647n },
      { id: 21, type: T.I64, value: -(2n ** 62n) },
      { id: 40, type: T.DOUBLE, value: Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]) },
      { id: 41, type: T.BINARY, value: Buffer.from('héllo') },
      { id: 42, type: T.LIST, value: { elem: T.I32, items: Array.from({ length: 40 }, (_, i) => BigInt(i - 20)) } },
      { id: 43, type: T.LIST, value: { elem: T.TRUE, items: [true, false, true] } },
      { id: 44, type: T.MAP, value: { key: T.BINARY, value: T.STRUCT, entries: [[Buffer.from('k'), [{ id: 1, type: T.I64, value: 7n }]]] } },
      { id: 45, type: T.MAP, value: { key: 0, value: 0, entries: [] } },
      { id: 46, type: T.STRUCT, value: [{ id: 300, type: T.BINARY, value: Buffer.alloc(0) }] },
    ];
    const bytes = new Writer().struct(fields).toBuffer();
    expect(new Reader(bytes).struct()).toEqual(fields);
  });

  test('a truncated footer is an error, not a hang', () => {
    const bytes = new Writer().struct([{ id: 1, type: T.BINARY, value: Buffer.from('abcdef') }]).toBuffer();
    expect(() => new Reader(bytes.subarray(0, 4)).struct()).toThrow(/ends early/);
  });
});

describe('dropColumns', () => {
  const all = ['ind', 'title', 'pair', 'tags', 'flag', 'half', 'rec', 'at', 'pet', 'extra'];
  test.each([
    [
      'zstd, no dictionaries (batch-run staged files)',
      'FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, WRITE_BLOOM_FILTER false, DICTIONARY_SIZE_LIMIT 1, ROW_GROUP_SIZE 10000',
    ],
    ['the engine defaults (snappy, dictionaries, bloom filters)', 'FORMAT parquet, ROW_GROUP_SIZE 10000'],
  ])('%s: the kept columns hold the same values as the engine copy of them', async (_, options) => {
    const src = await writeSample(options);
    for (const keep of [['ind', 'title', 'tags', 'at', 'pet'], ['pair', 'rec', 'extra'], ['extra'], all]) {
      const out = path.join(dir, 'dropped.parquet');
      copyFileSync(src, out);
      expect(await dropColumns(out, keep)).toBe(25_000);
      // only the footer changed: the file is no larger than the original
      expect(statSync(out).size).toBeLessThanOrEqual(statSync(src).size);
      const cols = await engine.all(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(out)}))`);
      expect(cols.map((c) => c.column_name)).toEqual(keep);
      const groups = await engine.all(`SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${sqlString(out)})`);
      expect(Number(groups[0]?.n)).toBe(3);
      expect(await differing(src, out, keep)).toBe(0);
      // the engine's filters on the kept columns' statistics still hold
      const [f] = await engine.all(
        `SELECT count(*) AS n FROM read_parquet(${sqlString(out)}) WHERE ${keep.includes('ind') ? 'ind BETWEEN 100 AND 199' : 'true'}`,
      );
      expect(Number(f?.n)).toBe(keep.includes('ind') ? 100 : 25_000);
    }
  });

  test('a column that is not there, and a file that is not Parquet, are named', async () => {
    const src = await writeSample('FORMAT parquet');
    await expect(dropColumns(src, ['ind', 'nope'])).rejects.toThrow(/has no column nope/);
    const notParquet = path.join(dir, 'not.parquet');
    writeFileSync(notParquet, 'hello, this is text');
    await expect(dropColumns(notParquet, ['ind'])).rejects.toThrow(/not a Parquet file/);
  });
});
