/**
 * Loading raw chunks into the engine's d_<topic> relations, cleaned. The engine reads the chunks
 * itself and cleans every line its SQL vouches for (src/engine/clean-sql.ts, compiled from the
 * rules of src/core/rules.ts); clean.ts cleans every other line (stage.ts, in worker threads, as
 * CSV): the lines the SQL does not vouch for, picked out by their log offset, or whole chunks when
 * that is not possible (a line that is no JSON object, offsets missing or repeated) or when the
 * engine cannot read a chunk. The rows and counts are those of cleaning every line with clean.ts.
 */
import { rm } from 'node:fs/promises';
import type { RecordType } from '../../core/records.js';
import { sqlStringList, withInsertionOrder, type Engine } from '../../engine/duckdb.js';
import { cleanSelectSql } from '../../engine/clean-sql.js';
import { STAGE_COLUMNS, columnDefs, ident } from '../../engine/schema.js';
import { DEDUP, readStagedSql } from './curate.js';
import { stageAll, type PoolOptions } from './pool.js';
import { addCounts, emptyCounts, type StageCounts, type StageTask } from './stage.js';

export interface LoadResult {
  /** counts of the tasks with count: true */
  counts: StageCounts;
  /** what clean.ts cleaned: chunks it read (whole or for some lines) and the lines it cleaned */
  js: { chunks: number; lines: number };
  /** the table's rows are in ind order (asked for with `sorted`, and no row of clean.ts was added) */
  ordered: boolean;
}

/** The engine's reading of raw chunks: each line's members (null: not one JSON object), and the chunk's index in `files`. */
export function readRawSql(files: string[]): string {
  return (
    `(SELECT m, file_index::INTEGER AS file_id FROM read_json(${sqlStringList(files)}, format = 'newline_delimited', records = false, ` +
    `columns = {'m': 'MAP(VARCHAR, JSON)'}, ignore_errors = true, hive_partitioning = false))`
  );
}

/**
 * Load a topic's raw chunks (the tasks of that topic) into d_<topic> (replacing it): the staged
 * columns (src/engine/schema.ts STAGE_COLUMNS), `_latest` (true: curate.ts flags the rows a
 * later one of their ind supersedes) and the SQL's bookkeeping. Tasks with count: true make the
 * counts (a day's own chunks); the others are read only (the neighbour days' margins). With
 * `sorted`, the rows go in in ind order when they can (`ordered` says whether they did), so that
 * writeCurated copies them without sorting the wide rows.
 */
export async function loadTopic(
  engine: Engine,
  topic: RecordType,
  tasks: StageTask[],
  tmpDir: string,
  opts: PoolOptions & { sorted?: boolean } = {},
): Promise<LoadResult> {
  const t = DEDUP[topic];
  // chunk ids: the counted chunks first, so that the counted rows are those with _file < counted
  const chunks = [...tasks.filter((x) => x.topic === topic && x.count), ...tasks.filter((x) => x.topic === topic && !x.count)];
  const counted = chunks.filter((x) => x.count).length;
  const issues = cleanSelectSql(topic, '').issues;
  const extra = ['_latest BOOLEAN', '_file INTEGER', '_vouched BOOLEAN', ...issues.map((f) => `${ident(`_issue:${f}`)} BOOLEAN`)];
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${t} (${columnDefs(STAGE_COLUMNS[topic])}, ${extra.join(', ')})`);
  const js: StageTask[] = [];
  const ranges = (
    [
      [0, counted],
      [counted, chunks.length],
    ] as const
  ).filter(([from, to]) => from < to);
  const select = ([from, to]: readonly [number, number]) =>
    cleanSelectSql(topic, `(SELECT m, file_id + ${from} AS file_id FROM ${readRawSql(chunks.slice(from, to).map((x) => x.file))})`).sql;
  let ordered = false;
  if (opts.sorted && ranges.length) {
    // every chunk in one statement, sorted by ind and inserted in that order: the table is in ind
    // order for writeCurated, which then copies it without a sort of its own
    const all = ranges.map((r) => `(${select(r)})`).join(' UNION ALL ');
    try {
      await withInsertionOrder(engine, () => engine.run(`INSERT INTO ${t} BY NAME SELECT *, true AS _latest FROM (${all}) ORDER BY ind`));
      ordered = true;
    } catch {
      // a chunk the engine cannot read (nothing was inserted): each range on its own below
    }
  }
  if (!ordered) {
    for (const range of ranges) {
      try {
        await engine.run(`INSERT INTO ${t} BY NAME SELECT *, true AS _latest FROM (${select(range)})`);
      } catch {
        // the engine cannot read these chunks (e.g. a damaged gzip member): clean.ts reads them, and says why if it cannot either
        js.push(...chunks.slice(range[0], range[1]));
      }
    }
  }
  // the lines the SQL does not vouch for: picked out by their offsets where these tell them apart, else whole chunks
  const rows = await engine.all(`SELECT _file, _offset FROM ${t} WHERE NOT _vouched`);
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
        `SELECT _file FROM ${t} WHERE _file IN (${picked.join(', ')}) GROUP BY _file HAVING count(*) <> count(DISTINCT _offset)`,
      );
      for (const r of repeated) whole.add(Number(r._file));
    }
    await engine.run(`DELETE FROM ${t} WHERE NOT _vouched${whole.size ? ` OR _file IN (${[...whole].join(', ')})` : ''}`);
    for (const [f, offsets] of byChunk) js.push(whole.has(f) ? chunks[f]! : { ...chunks[f]!, offsets: offsets as number[] });
  }

  // clean.ts for the rest (its rows have no _file); a task whose lines cannot be picked out is staged whole
  const counts = emptyCounts();
  let lines = 0;
  let todo = js;
  while (todo.length) {
    const staged = await stageAll(todo, tmpDir, opts);
    addCounts(counts, staged.counts[topic]);
    lines += staged.counts[topic].records;
    const files = staged.files[topic];
    if (files.length)
      await engine.run(`INSERT INTO ${t} BY NAME SELECT *, true AS _latest, true AS _vouched FROM (${readStagedSql(files, STAGE_COLUMNS[topic])})`);
    for (const f of files) await rm(f, { force: true });
    todo = staged.escalated.map(({ offsets: _, ...task }) => task);
    // the SQL's rows of such a chunk go too: clean.ts cleans all of its lines
    for (const task of todo) await engine.run(`DELETE FROM ${t} WHERE _file = ${chunks.findIndex((x) => x.file === task.file)}`);
  }

  // the counts of the rows the SQL cleaned (what is left of them)
  const [c] = await engine.all(
    `SELECT count(*) AS n${issues.map((f, i) => `, count_if(${ident(`_issue:${f}`)}) AS i${i}`).join('')} FROM ${t} WHERE _file < ${counted}`,
  );
  const n = Number(c?.n ?? 0);
  const sql: StageCounts = { ...emptyCounts(), records: n, cleaned: n };
  issues.forEach((f, i) => {
    const k = Number(c?.[`i${i}`] ?? 0);
    if (k) sql.issues[f] = k;
  });
  addCounts(counts, sql);
  return { counts, js: { chunks: js.length, lines }, ordered: ordered && js.length === 0 };
}
