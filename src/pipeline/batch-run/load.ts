/**
 * Loading a topic's raw chunks, cleaned. The engine reads the chunks itself and cleans every line
 * its SQL vouches for (src/engine/clean-sql.ts, compiled from the rules of src/core/rules.ts),
 * straight into a staged Parquet file per set of chunks (the day's own chunks; the neighbour days'
 * margins): the curated columns plus the bookkeeping (log position, chunk, verdict, quality
 * issues). Nothing wide is held in the engine's memory. clean.ts cleans every
 * other line (stage.ts, in worker threads, as CSV, into the temp table j_<topic>): the lines the
 * SQL does not vouch for, picked out by their log offset, or whole chunks when that is not possible
 * (a line that is no JSON object, offsets missing or repeated) or when the engine cannot read a
 * chunk. The view a_<topic> holds every cleaned row; the rows and counts are those of cleaning
 * every line with clean.ts.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { RecordType } from '../../core/records.js';
import { sqlString, sqlStringList, type Engine } from '../../engine/duckdb.js';
import { cleanSelectSql } from '../../engine/clean-sql.js';
import { CURATED_COLUMNS, STAGE_COLUMNS, TABLE_OF, columnDefs, columnStruct, curatedFromStage, ident, type Columns } from '../../engine/schema.js';
import { stageAll, type PoolOptions } from './pool.js';
import { addCounts, emptyCounts, type StageCounts, type StageTask } from './stage.js';

/** Relation names of a topic's cleaned rows (every source) and of its rows cleaned by clean.ts. */
export const ALL = { pin: 'a_pin', geo: 'a_geo', user: 'a_user' } as const satisfies Record<RecordType, string>;
export const JS_ROWS = { pin: 'j_pin', geo: 'j_geo', user: 'j_user' } as const satisfies Record<RecordType, string>;

/** Where a row of a_<topic> comes from (`_src`; `_row` numbers the rows of each source). */
export const SOURCE = { day: 0, margins: 1, js: 2 } as const;

/**
 * Parquet options of the staged files: zstd level 1, no bloom filters, no dictionaries (measured
 * the cheapest to write for a size within 1.5x), row groups of 61,440 rows. The curated files are
 * written with the same options (curate.ts), so that a staged file of the day's own chunks needs
 * only its bookkeeping columns dropped to become the curated file.
 */
export const STAGED_PARQUET = 'FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, WRITE_BLOOM_FILTER false, DICTIONARY_SIZE_LIMIT 1, ROW_GROUP_SIZE 61440';

export interface LoadResult {
  /** counts of the tasks with count: true */
  counts: StageCounts;
  /** what clean.ts cleaned: chunks it read (whole or for some lines) and the lines it cleaned */
  js: { chunks: number; lines: number };
  /** the staged Parquet file of the day's own chunks (null: none, the engine could not read them, or only some columns were staged) */
  dayFile: string | null;
  /** every row of the day file is one the SQL vouched for, and none of its chunks went to clean.ts */
  dayFileWhole: boolean;
}

/** SELECT over staged CSV files (see encode.ts). */
export function readStagedSql(files: string[], cols: Columns): string {
  return (
    `SELECT * FROM read_csv(${sqlStringList(files)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `new_line = '\\n', allow_quoted_nulls = false, hive_partitioning = false, columns = ${columnStruct(cols)})`
  );
}

/** The engine's reading of raw chunks: each line's members (null: not one JSON object), and the chunk's index in `files`. */
export function readRawSql(files: string[]): string {
  return (
    `(SELECT m, file_index::INTEGER AS file_id FROM read_json(${sqlStringList(files)}, format = 'newline_delimited', records = false, ` +
    `columns = {'m': 'MAP(VARCHAR, JSON)'}, ignore_errors = true, hive_partitioning = false))`
  );
}

/** The bookkeeping columns of a staged file besides the curated ones. */
function bookkeeping(issues: string[]): string[] {
  return ['_partition', '_offset', '_file', '_vouched', ...issues.map((f) => ident(`_issue:${f}`))];
}

/**
 * Load a topic's raw chunks (the tasks of that topic): staged files in `tmpDir`, j_<topic> and the
 * view a_<topic> (every cleaned row: the curated columns, `_partition`, `_offset`, `_file` (null for
 * clean.ts's rows), `_src` and `_row`). Tasks with count: true make the counts (a day's own chunks);
 * the others are read only (the neighbour days' margins).
 */
export async function loadTopic(
  engine: Engine,
  topic: RecordType,
  tasks: StageTask[],
  tmpDir: string,
  opts: PoolOptions & { columns?: readonly string[] } = {},
): Promise<LoadResult> {
  const table = TABLE_OF[topic];
  // the curated columns staged: all, or ind, event_id, ingested_at and `columns` (then the engine
  // computes no other rule's value, and the day file cannot become the curated file)
  const want = opts.columns ? ['ind', 'event_id', 'ingested_at', ...opts.columns] : undefined;
  const names = CURATED_COLUMNS[table].map(([n]) => n).filter((n) => !want || want.includes(n));
  // chunk ids: the counted chunks first, each set in key order
  const byFile = (a: StageTask, b: StageTask) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  const mine = tasks.filter((x) => x.topic === topic);
  const chunks = [...mine.filter((x) => x.count).sort(byFile), ...mine.filter((x) => !x.count).sort(byFile)];
  const counted = chunks.filter((x) => x.count).length;
  const issues = cleanSelectSql(topic, '').issues;
  const keep = bookkeeping(issues);
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${JS_ROWS[topic]} (${columnDefs(STAGE_COLUMNS[topic])})`);

  // the engine's SQL: one staged file per set of chunks
  const js: StageTask[] = [];
  const files: { src: number; file: string }[] = [];
  const sets = [
    { src: SOURCE.day, from: 0, to: counted },
    { src: SOURCE.margins, from: counted, to: chunks.length },
  ].filter((s) => s.from < s.to);
  for (const s of sets) {
    const file = path.join(tmpDir, `${topic}-${s.src}.parquet`);
    const source = `(SELECT m, file_id + ${s.from} AS file_id FROM ${readRawSql(chunks.slice(s.from, s.to).map((x) => x.file))})`;
    const select = `SELECT ${curatedFromStage(table, names)}, ${keep.join(', ')} FROM (${cleanSelectSql(topic, source).sql})`;
    try {
      await engine.all(`COPY (${select}) TO ${sqlString(file)} (${STAGED_PARQUET})`);
      files.push({ src: s.src, file });
    } catch {
      // the engine cannot read these chunks (e.g. a damaged gzip member): clean.ts reads them, and says why if it cannot either
      await rm(file, { force: true });
      js.push(...chunks.slice(s.from, s.to));
    }
  }
  const staged = files.length ? `read_parquet(${sqlStringList(files.map((f) => f.file))})` : null;

  // the lines the SQL does not vouch for: picked out by their offsets where these tell them apart, else whole chunks
  const excluded = new Set(js.map((t) => chunks.indexOf(t)));
  const rows = staged ? await engine.all(`SELECT _file, _offset FROM ${staged} WHERE NOT _vouched`) : [];
  if (rows.length) {
    const byChunk = new Map<number, (number | null)[]>();
    for (const r of rows) {
      const list = byChunk.get(Number(r._file)) ?? [];
      list.push(r._offset === null ? null : Number(r._offset));
      byChunk.set(Number(r._file), list);
    }
    const whole = new Set([...byChunk].filter(([, offsets]) => offsets.includes(null)).map(([f]) => f));
    const picked = [...byChunk.keys()].filter((f) => !whole.has(f));
    if (picked.length) {
      const repeated = await engine.all(
        `SELECT _file FROM ${staged} WHERE _file IN (${picked.join(', ')}) GROUP BY _file HAVING count(*) <> count(DISTINCT _offset)`,
      );
      for (const r of repeated) whole.add(Number(r._file));
    }
    for (const f of whole) excluded.add(f);
    for (const [f, offsets] of byChunk) js.push(whole.has(f) ? chunks[f]! : { ...chunks[f]!, offsets: offsets as number[] });
  }

  // clean.ts for the rest; a task whose lines cannot be picked out is staged whole (and its SQL rows are left out)
  const counts = emptyCounts();
  let lines = 0;
  let todo = js;
  while (todo.length) {
    const out = await stageAll(todo, tmpDir, opts);
    addCounts(counts, out.counts[topic]);
    lines += out.counts[topic].records;
    for (const f of out.files[topic]) {
      await engine.run(`INSERT INTO ${JS_ROWS[topic]} BY NAME SELECT * FROM (${readStagedSql([f], STAGE_COLUMNS[topic])})`);
      await rm(f, { force: true });
    }
    todo = out.escalated.map(({ offsets: _, ...task }) => task);
    for (const task of todo) excluded.add(chunks.findIndex((x) => x.file === task.file));
  }

  // the view of every cleaned row, and the counts of the rows the SQL cleaned (what is left of them)
  const notExcluded = excluded.size ? ` AND _file NOT IN (${[...excluded].join(', ')})` : '';
  const curatedCols = names.map(ident).join(', ');
  const parts = files.map(
    ({ src, file }) =>
      `SELECT ${src} AS _src, file_row_number AS _row, ${curatedCols}, _partition, _offset, _file ` +
      `FROM read_parquet(${sqlString(file)}, file_row_number = true) WHERE _vouched${notExcluded}`,
  );
  // (the chunk of a clean.ts row is not known here: its _file is null)
  parts.push(
    `SELECT ${SOURCE.js} AS _src, rowid AS _row, ${curatedFromStage(table, names)}, _partition, _offset, NULL::INTEGER AS _file FROM ${JS_ROWS[topic]}`,
  );
  await engine.run(`CREATE OR REPLACE TEMP VIEW ${ALL[topic]} AS ${parts.join(' UNION ALL ')}`);

  const day = files.find((f) => f.src === SOURCE.day);
  if (day) {
    const [c] = await engine.all(
      `SELECT count(*) AS n${issues.map((f, i) => `, count_if(${ident(`_issue:${f}`)}) AS i${i}`).join('')} ` +
        `FROM read_parquet(${sqlString(day.file)}) WHERE _vouched${notExcluded}`,
    );
    const n = Number(c?.n ?? 0);
    const sql: StageCounts = { ...emptyCounts(), records: n, cleaned: n };
    issues.forEach((f, i) => {
      const k = Number(c?.[`i${i}`] ?? 0);
      if (k) sql.issues[f] = k;
    });
    addCounts(counts, sql);
  }
  const dayWhole = !!day && !rows.some((r) => Number(r._file) < counted) && ![...excluded].some((f) => f < counted);
  return { counts, js: { chunks: js.length, lines }, dayFile: day && !want ? day.file : null, dayFileWhole: dayWhole && !want };
}
