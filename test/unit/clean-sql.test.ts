/**
 * The two evaluations of the cleaning rules (src/core/rules.ts) agree: batch-run's loading
 * (src/pipeline/batch-run/load.ts: the engine's SQL of src/engine/clean-sql.ts for the lines it
 * vouches for, clean.ts for the others) gives exactly the staged rows, dead letters with their
 * reasons, and quality counts of cleaning every line with clean.ts (the stream's transform,
 * staged as CSV as batch-run did before). The lines are generated dirty raw lines as consume-batch
 * writes them (its own stampRecord): valid records edited member by member (values of every JSON
 * type and of the edges of each rule, placeholders, whitespace of every kind, date-time forms,
 * follower counts, tag lists, save locations, repeated keys, unknown members, NaN and trailing
 * commas that JSON.parse refuses, escapes, lone surrogates, other key orders and spacing).
 */
import { CONTRACT_PLACEHOLDERS } from '../fixtures/contract-examples.js';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { generatePosting } from '../../src/connectors/source/generator.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { TOPICS, type RecordType } from '../../src/core/records.js';
import { WHITESPACE } from '../../src/core/rules.js';
import { instantSql } from '../../src/engine/clean-sql.js';
import { toIsoInstant } from '../../src/core/time.js';
import { openEngine, type Engine } from '../../src/engine/duckdb.js';
import { STAGE_COLUMNS, TABLE_OF, columnList, stageFromCurated } from '../../src/engine/schema.js';
import { stampRecord } from '../../src/pipeline/batch-writer/stamp.js';
import { ALL, SOURCE, loadTopic, readStagedSql } from '../../src/pipeline/batch-run/load.js';
import { StageWriter, addCounts, emptyCounts, stageFile, type StageCounts } from '../../src/pipeline/batch-run/stage.js';

let cfg: Config;
let engine: Engine;
let run = 0;

beforeAll(async () => {
  cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-clean-sql-')) } });
  engine = await openEngine(cfg, { threads: 2, memoryLimit: '512MB' });
});

afterAll(() => {
  engine.close();
  rmSync(cfg.dataDir, { recursive: true, force: true });
});

// ---- raw lines ------------------------------------------------------------------------------

/** a member of a JSON object as text: key (as written, maybe with escapes) and value text */
type Member = [key: string, value: string];

const ws = fc.constantFrom('', '', '', ' ', '  ', '\t', '\n ', '\r');
const wsChar = fc.constantFrom(...WHITESPACE);
const padded = (s: fc.Arbitrary<string>) =>
  fc.tuple(fc.array(wsChar, { maxLength: 2 }), s, fc.array(wsChar, { maxLength: 2 })).map(([a, x, b]) => a.join('') + x + b.join(''));

const PLACEHOLDERS = [...CONTRACT_PLACEHOLDERS, 'Image', 'gif'];
const followerText = fc.oneof(
  fc
    .tuple(
      fc.stringMatching(/^\d{1,18}$/),
      fc.option(fc.stringMatching(/^\.\d{1,17}$/), { nil: '' }),
      fc.constantFrom('', 'k', 'K', 'm', 'M', 'b', 'B', 'x', 'kk'),
    )
    .map(([a, b, c]) => a + b + c),
  fc.constantFrom(
    '940',
    '124k',
    '1.5k',
    '6M',
    '2B',
    '0.5',
    '0.49999999999999994',
    '4503599627370495.5',
    '9007199254740991',
    '9007199254740992',
    '9007199254740993',
    '9007199254.7409915k',
    '1e3',
    '12.k',
    '.5',
    '1,000',
    '-5',
    '00012',
    '1'.repeat(400),
    '1'.repeat(300) + 'b',
  ),
);
const tagsText = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom('Art', 'Wall Art', 'DIY', ''), padded(fc.constantFrom('a', 'b c', ''))), { maxLength: 5 }).map((xs) => xs.join(',')),
  fc.array(fc.constantFrom('x', ' ', ',', '\t', '\u00a0', 'y z'), { maxLength: 8 }).map((xs) => xs.join('')),
);
const saveText = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('Local save in', 'Local save in ', 'Local save in  ', 'Local save in\t', 'Local save in\u3000', 'Local save inx', 'local save in '),
      fc.constantFrom('', '/data/art', ' /data/x', 'y'),
    )
    .map(([a, b]) => a + b),
);
const dateText = fc.oneof(
  fc.date({ min: new Date(Date.UTC(100, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ min: new Date(Date.UTC(100, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })
    .map((d) => d.toISOString().replace('T', ' ').slice(0, 19)),
  fc.date({ min: new Date(Date.UTC(1000, 0, 1)), max: new Date(Date.UTC(2999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 19)),
  fc.constantFrom(
    '2020-08-28 03:52:47',
    '2020-02-30 00:00:00',
    '2020-02-29 12:00:00',
    '2019-02-29 12:00:00',
    '1900-02-29 00:00:00',
    '2000-02-29 00:00:00',
    '2020-08-28 24:00:00',
    '2020-08-28 23:60:00',
    '2020-08-28 23:59:60',
    '2020-13-01 00:00:00',
    '2020-00-10 00:00:00',
    '0099-12-31 23:59:59',
    '0100-01-01 00:00:00',
    '0000-01-01 00:00:00',
    '2020-08-28T03:52:47+05:30',
    '2020-08-28',
    '2020-08-28T03:52:47Z',
    '2020-08-28T03:52:47.1Z',
    '2020-08-28T03:52:47.123456Z',
    '2020-08-28T24:00:00.000Z',
    '+02020-08-28 03:52:47',
    ' 2020-08-28 03:52:47',
    '2020-8-28 03:52:47',
    '2020-08-28 03:52',
    '2020-08-28\u00a003:52:47',
    '２０２０-08-28 03:52:47',
    'yesterday',
    '',
  ),
);
const anyText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  padded(fc.constantFrom(...PLACEHOLDERS)),
  fc.constantFrom('', ' ', '\t', '\u00a0', '\u2028', '\ufeff', 'x\u0000y', 'a"b', 'a\\b', '😀', 'é'),
);
const str = (a: fc.Arbitrary<string>) => a.map((s) => JSON.stringify(s));
/** a JSON string with some characters written as \u escapes (and maybe a lone surrogate) */
const escaped = fc.tuple(anyText, fc.boolean()).map(([s, lone]) => {
  const body = [...s].map((c, i) => (i % 2 === 0 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : JSON.stringify(c).slice(1, -1))).join('');
  return `"${body}${lone ? '\\ud800' : ''}"`;
});
const numberText = fc.oneof(
  fc.integer({ min: -5, max: 200 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.constantFrom(
    '0',
    '-0',
    '1',
    '1.0',
    '1e2',
    '1E+0',
    '0.5',
    '130',
    '131',
    '90',
    '-90',
    '90.0000001',
    '180',
    '-180.5',
    '9007199254740991',
    '9007199254740993',
    '1e400',
    '-1e400',
    '2147483648',
    '4294967296',
  ),
);
/** what JSON.parse refuses but DuckDB's reader takes (or refuses too) */
const notJson = fc.constantFrom('NaN', 'Infinity', '-Infinity', 'nan', 'inf', '[1,]', '{"a":1,}', '01', '.5', '1.', '+1', 'undefined', "'x'", '0x10');
const otherValue = fc.constantFrom('true', 'false', 'null', '[]', '{}', '["a"]', '{"x":"y"}', '[1,[2,{"z":null}]]');

const valueText: Record<string, fc.Arbitrary<string>> = {
  text: fc.oneof({ weight: 5, arbitrary: str(anyText) }, { weight: 1, arbitrary: escaped }, { weight: 1, arbitrary: str(padded(fc.string({ maxLength: 6 }))) }),
  follower_count: str(padded(followerText)),
  tag_list: str(tagsText),
  save_location: str(padded(saveText)),
  date: str(dateText),
  number: numberText,
  any: fc.oneof(
    { weight: 3, arbitrary: numberText },
    { weight: 2, arbitrary: otherValue },
    { weight: 1, arbitrary: notJson },
    { weight: 2, arbitrary: str(anyText) },
  ),
};

const KIND: Record<string, string> = {
  title: 'text',
  description: 'text',
  poster_name: 'text',
  unique_id: 'text',
  is_image_or_video: 'text',
  image_src: 'text',
  category: 'text',
  country: 'text',
  first_name: 'text',
  last_name: 'text',
  event_id: 'text',
  follower_count: 'follower_count',
  tag_list: 'tag_list',
  save_location: 'save_location',
  timestamp: 'date',
  date_joined: 'date',
  ingested_at: 'date',
  index: 'number',
  ind: 'number',
  latitude: 'number',
  longitude: 'number',
  age: 'number',
  downloaded: 'number',
  _partition: 'number',
  _offset: 'number',
};

type Edit =
  | { op: 'value'; at: number; kind: string; text: string }
  | { op: 'delete'; at: number }
  | { op: 'repeat'; at: number; text: string; first: boolean }
  | { op: 'unknown'; key: string; text: string }
  | { op: 'escapeKey'; at: number }
  | { op: 'swap'; at: number; with: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.nat(), fc.constantFrom('own', 'any'), fc.string())
      .chain(([at, kind]) => (kind === 'any' ? valueText.any : fc.constant('')).map((text) => ({ op: 'value' as const, at, kind, text }))),
  },
  { weight: 1, arbitrary: fc.nat().map((at) => ({ op: 'delete' as const, at })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), valueText.any, fc.boolean()).map(([at, text, first]) => ({ op: 'repeat' as const, at, text, first })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('extra', '_partition', '_offset', 'x y', '__proto__', 'ind', 'index'), valueText.any)
      .map(([key, text]) => ({ op: 'unknown' as const, key, text })),
  },
  { weight: 1, arbitrary: fc.nat().map((at) => ({ op: 'escapeKey' as const, at })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.nat()).map(([at, w]) => ({ op: 'swap' as const, at, with: w })) },
);

/** A raw record's text: a generated posting's record with the stamps, then the edits. */
const recordText = (type: RecordType) =>
  fc
    .tuple(
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 0, max: 5000 }),
      fc.date({ min: new Date('2026-11-20T00:00:00Z'), max: new Date('2026-11-20T23:59:59Z'), noInvalidDate: true }),
      fc.array(edit, { maxLength: 4 }),
      fc.array(fc.tuple(ws, ws), { minLength: 20, maxLength: 20 }),
      fc.array(valueText.text, { minLength: 1, maxLength: 1 }),
    )
    .chain(([seed, i, at, edits, spaces]) => {
      // own-kind values for 'value' edits are drawn here (they depend on the member's key)
      const rec = {
        ...(generatePosting(seed, i)[type] as unknown as Record<string, unknown>),
        event_id: `e-${seed}-${i}-${type}`,
        ingested_at: at.toISOString(),
      };
      const members: Member[] = Object.entries(rec).map(([k, v]) => [JSON.stringify(k), JSON.stringify(v)]);
      const own = edits.map((e) =>
        e.op === 'value' && e.kind === 'own' ? valueText[KIND[JSON.parse(members[e.at % members.length]![0]) as string] ?? 'any']! : fc.constant(''),
      );
      return fc.tuple(fc.constant(members), fc.constant(edits), fc.constant(spaces), fc.tuple(...own));
    })
    .map(([base, edits, spaces, own]) => {
      const members = base.map((m) => [...m] as Member);
      edits.forEach((e, k) => {
        if (members.length === 0) return;
        const at = 'at' in e ? e.at % members.length : 0;
        if (e.op === 'value') members[at]![1] = e.kind === 'own' ? own[k]! : e.text;
        else if (e.op === 'delete') members.splice(at, 1);
        else if (e.op === 'repeat') members.splice(e.first ? at : members.length, 0, [members[at]![0], e.text]);
        else if (e.op === 'unknown') members.splice(at, 0, [JSON.stringify(e.key), e.text]);
        else if (e.op === 'escapeKey')
          members[at]![0] = `"${[...(JSON.parse(members[at]![0]) as string)].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;
        else if (e.op === 'swap') [members[at], members[e.with % members.length]] = [members[e.with % members.length]!, members[at]!];
      });
      const sp = (n: number) => spaces[n % spaces.length]!;
      return `{${members.map(([k, v], n) => `${sp(n)[0]}${k}${sp(n)[1]}:${sp(n + 1)[0]}${v}`).join(',')}${sp(19)[1]}}`;
    });

/** Lines as consume-batch writes them: stampRecord of each value (what it dead-letters never reaches the raw zone). */
function rawLines(values: string[], partition: number, first: number): string[] {
  const out: string[] = [];
  values.forEach((v, i) => {
    const s = stampRecord(v, partition, first + i);
    if (s.ok) out.push(s.line);
  });
  return out;
}

// ---- the two paths --------------------------------------------------------------------------

interface Outcome {
  rows: unknown[];
  counts: StageCounts;
}

const sortKey = (r: unknown) => JSON.stringify(r);
const cols = (topic: RecordType) => columnList(STAGE_COLUMNS[topic]);

/** Every line cleaned with clean.ts and staged as CSV (batch-run's former path, the reference). */
async function withCleanTs(topic: RecordType, files: string[], dir: string): Promise<Outcome> {
  const writer = new StageWriter(dir, `ref${run}`);
  const counts = emptyCounts();
  for (const file of files) addCounts(counts, await stageFile({ topic, file, count: true }, writer));
  const staged = writer.close()[topic];
  const rows = staged ? await engine.all(`SELECT ${cols(topic)} FROM (${readStagedSql([staged], STAGE_COLUMNS[topic])})`) : [];
  return { rows: rows.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)), counts };
}

/** batch-run's loading: the engine's SQL where it vouches, clean.ts for the rest. */
async function withLoad(topic: RecordType, files: string[], dir: string): Promise<Outcome & { vouched: number }> {
  const loaded = await loadTopic(
    engine,
    topic,
    files.map((file) => ({ topic, file, count: true })),
    dir,
    { workers: 0 },
  );
  // every cleaned row, in the staged columns (the staged Parquet holds the curated ones)
  const rows = await engine.all(
    `SELECT ${stageFromCurated(
      TABLE_OF[topic],
      STAGE_COLUMNS[topic].map(([n]) => n),
    )} FROM ${ALL[topic]}`,
  );
  const [v] = await engine.all(`SELECT count(*) AS n FROM ${ALL[topic]} WHERE _src <> ${SOURCE.js}`);
  return { rows: rows.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)), counts: loaded.counts, vouched: Number(v?.n ?? 0) };
}

function writeChunks(topic: RecordType, chunks: string[][]): { files: string[]; dir: string } {
  const dir = path.join(cfg.dataDir, `run-${++run}`);
  mkdirSync(dir, { recursive: true });
  const files = chunks.map((lines, i) => {
    const file = path.join(dir, `${topic}+0+${String(i * 1000).padStart(10, '0')}.ndjson.gz`);
    writeFileSync(file, gzipSync(lines.map((l) => `${l}\n`).join('')));
    return file;
  });
  return { files, dir };
}

const normalize = (c: StageCounts) => ({ ...c, reasons: { ...c.reasons }, issues: { ...c.issues } });

async function compare(topic: RecordType, chunks: string[][]): Promise<number> {
  const { files, dir } = writeChunks(topic, chunks);
  try {
    const ref = await withCleanTs(topic, files, dir);
    const got = await withLoad(topic, files, dir);
    expect(got.rows).toEqual(ref.rows);
    expect(normalize(got.counts)).toEqual(normalize(ref.counts));
    return got.vouched;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const chunksOf = (topic: RecordType) =>
  fc
    .array(fc.array(recordText(topic), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 })
    .map((cs) => cs.map((values, p) => rawLines(values, p, 0)).filter((l) => l.length));

// ---- properties -----------------------------------------------------------------------------

describe('the rules in SQL and in clean.ts agree (fast-check)', () => {
  for (const topic of TOPICS) {
    test(`${topic}: generated dirty raw chunks → identical staged rows, dead letters with reasons and quality counts`, async () => {
      let vouched = 0;
      let lines = 0;
      await fc.assert(
        fc.asyncProperty(chunksOf(topic), async (chunks) => {
          if (chunks.length === 0) return;
          lines += chunks.reduce((n, c) => n + c.length, 0);
          vouched += await compare(topic, chunks);
        }),
        { numRuns: 120 },
      );
      // the SQL path is exercised, and so is clean.ts's
      expect(vouched).toBeGreaterThan(lines / 5);
      expect(vouched).toBeLessThan(lines);
    });
  }

  test('valid generated records are all vouched for by the SQL (the fast path covers the data set)', async () => {
    for (const topic of TOPICS) {
      const values = Array.from({ length: 400 }, (_, i) =>
        JSON.stringify({
          ...(generatePosting(7, i)[topic] as unknown as Record<string, unknown>),
          event_id: `v-${i}`,
          ingested_at: new Date(Date.UTC(2026, 10, 20, 0, 0, i)).toISOString(),
        }),
      );
      const lines = rawLines(values, 0, 0);
      expect(await compare(topic, [lines])).toBe(lines.length);
    }
  });

  test('lines cleaned by clean.ts are picked out by offset, or their whole chunk when offsets do not tell them apart', async () => {
    const ok = rawLines(
      [
        JSON.stringify({
          ind: 1,
          timestamp: '2020-01-01 00:00:00',
          latitude: 1,
          longitude: 2,
          country: 'X',
          event_id: 'a',
          ingested_at: '2026-11-20T00:00:00.000Z',
        }),
      ],
      0,
      5,
    )[0]!;
    const padded = ok.replace('"X"', '" X "');
    const dead = ok.replace('"latitude":1', '"latitude":"1"').replace(',"_offset":5}', ',"_offset":6}');
    const noOffset = ok.replace(',"_offset":5}', '}');
    const notJsonLine = ok.replace('"latitude":1', '"latitude":NaN').replace(',"_offset":5}', ',"_offset":7}');
    const repeatedOffset = ok.replace(',"_offset":5}', ',"_offset":5,"_offset":8}');
    for (const chunk of [
      [ok, padded.replace('"_offset":5', '"_offset":9')],
      [ok, dead],
      [ok, noOffset],
      [ok, notJsonLine],
      [ok, repeatedOffset],
      [ok, ok],
      ['{"ind":', ok],
      ['[1,2]', ok],
    ]) {
      await compare('geo', [chunk]);
    }
  });
});

describe('date-times in SQL', () => {
  test("every instant the engine reads is the one clean.ts reads (the pattern and the engine's cast against time.ts)", async () => {
    const p2 = (x: string) => `lpad((${x})::VARCHAR, 2, '0')`;
    const grid =
      `SELECT lpad(y::VARCHAR, 4, '0') || '-' || ${p2('mo')} || '-' || ${p2('d')} || sep || ${p2('h')} || ':' || ${p2('mi')} || ':' || ${p2('s')} || f AS s FROM ` +
      '(SELECT unnest([99, 100, 1900, 2000, 2023, 2024, 2100, 9999]) y), (SELECT unnest(range(0, 14)) mo), (SELECT unnest(range(0, 33)) d), ' +
      "(SELECT unnest([0, 9, 23, 24, 25, 99]) h), (SELECT unnest([0, 59, 60]) mi), (SELECT unnest([0, 59, 60, 61]) s), (SELECT unnest(['', '.000Z', '.999Z', '.5Z']) f), " +
      "(SELECT unnest(['T', ' ']) sep)";
    const [all] = await engine.all(`SELECT count(*) AS n FROM (${grid})`);
    expect(all!.n).toBe(8 * 14 * 33 * 6 * 3 * 4 * 4 * 2);
    // the texts the engine reads (the others go to clean.ts, which decides)
    const rows = await engine.all(
      `SELECT * FROM (SELECT s, strftime(${instantSql('s')}, '%Y-%m-%dT%H:%M:%S.%gZ') AS sql FROM (${grid})) WHERE sql IS NOT NULL`,
    );
    expect(rows.filter((r) => toIsoInstant(r.s as string) !== r.sql).slice(0, 5)).toEqual([]);
    // both forms are read: 7 years from 100 on (2 of them leap) × 3 hours below 24 × 4 (minute, second) below 60
    // × (2 separators without ms + 2 with ms)
    expect(rows.length).toBe((7 * 365 + 2) * 3 * 4 * 4);
  });
});
