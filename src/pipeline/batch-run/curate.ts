/**
 * One day in the engine: de-duplicate the loaded cleaned records (load.ts) by event_id, write the
 * curated Parquet files (one row per ind within the day) and compute the realtime metrics' windows
 * of the day.
 */
import path from 'node:path';
import { TOPICS, type RecordType } from '../../core/records.js';
import type { Row } from '../../core/tables.js';
import type { Lake } from '../../connectors/lake/types.js';
import { sqlDayStart, sqlString, type Engine } from '../../engine/duckdb.js';
import { pinMatchesSql, unmatchedSql, type RealtimeInputs } from '../../engine/metrics/index.js';
import type { PlainRow } from '../../engine/values.js';
import { compareText, keyText } from '../../metrics/realtime/evaluate.js';
import { planSql } from '../../metrics/realtime/sql.js';
import type { RealtimeMetric } from '../../metrics/registry.js';
import { CURATED_COLUMNS, STAGE_COLUMNS, TABLE_OF, columnList, ident, stageFromCurated } from '../../engine/schema.js';
import { dropColumns } from '../../engine/parquet/project.js';
import { ALL, JS_ROWS, SOURCE, STAGED_PARQUET, type LoadResult } from './load.js';

/** Relation names of the de-duplicated cleaned records. */
export const DEDUP = { pin: 'd_pin', geo: 'd_geo', user: 'd_user' } as const satisfies Record<RecordType, string>;

/** Relation of the inds with more than one record of a topic (day and margins): r_<topic>. */
export const REPEATED = { pin: 'r_pin', geo: 'r_geo', user: 'r_user' } as const satisfies Record<RecordType, string>;

/** Relation of the rows of a_<topic> left out: later copies of an event_id, and rows superseded within the day (curated). */
export const SUPERSEDED = { pin: 'x_pin', geo: 'x_geo', user: 'x_user' } as const satisfies Record<RecordType, string>;

/**
 * De-duplicate a topic's loaded records (load.ts, a_<topic>) by event_id: one copy per event_id
 * (the smallest ingested_at, then the smallest (_partition, _offset)); the later copies go to
 * x_<topic>. Repeated event_ids are rare (retries): only they are ranked. Then r_<topic>: the inds
 * with more than one record, and d_<topic>: the de-duplicated records with ind, ingested_at and
 * `columns` (staged columns). d_ has an event_id only where the realtime join reads it: a geo
 * or user record of an ind in r_ (its tie-break among a pin's partners; the column is left out
 * when r_ is empty), unless `columns` names event_id; d_ is the day's largest relation held in
 * the engine, and a 36-character event_id per record made it spill at 10M.
 */
export async function dedupTopic(engine: Engine, topic: RecordType, columns: readonly string[] = STAGE_COLUMNS[topic].map(([n]) => n)): Promise<void> {
  const a = ALL[topic];
  const x = SUPERSEDED[topic];
  const repeated = `SELECT event_id FROM ${a} GROUP BY event_id HAVING count(*) > 1`;
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${x} (_src INTEGER, _row BIGINT)`);
  // one scan counts the rows, the distinct 64-bit hashes of event_id and the distinct inds: as many
  // hashes as rows prove every event_id distinct (grouping integers costs less than grouping the
  // strings; else, a repeat or a hash collision, the exact grouping decides), as many inds as rows
  // leave r_ empty
  const [c] = await engine.all(`SELECT count(*) AS n, count(DISTINCT hash(event_id)) AS e, count(DISTINCT ind) AS i FROM ${a}`);
  const rows = Number(c?.n ?? 0);
  if (Number(c?.e ?? 0) < rows) {
    await engine.run(
      `INSERT INTO ${x} SELECT _src, _row FROM ${a} WHERE event_id IN (${repeated}) ` +
        'QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingested_at, _partition NULLS LAST, _offset NULLS LAST) > 1',
    );
  }
  const kept = `${a} ANTI JOIN ${x} USING (_src, _row)`;
  // inds with more than one record: the curated day and the R2/R3 partner search rank only these
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE ${REPEATED[topic]} AS SELECT ind FROM ${kept} ` +
      (Number(c?.i ?? 0) < rows ? 'GROUP BY ind HAVING count(*) > 1' : 'WHERE false'),
  );
  const keep = [...new Set(['ind', 'ingested_at', ...columns])];
  const [r] = topic === 'pin' || keep.includes('event_id') ? [] : await engine.all(`SELECT count(*) AS n FROM ${REPEATED[topic]}`);
  const eventId = Number(r?.n ?? 0) > 0 ? `, CASE WHEN ind IN (SELECT ind FROM ${REPEATED[topic]}) THEN event_id END AS event_id` : '';
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${DEDUP[topic]} AS SELECT ${stageFromCurated(TABLE_OF[topic], keep)}${eventId} FROM ${kept}`);
}

export async function dropStaged(engine: Engine): Promise<void> {
  for (const topic of TOPICS) {
    for (const t of [DEDUP[topic], REPEATED[topic], SUPERSEDED[topic], JS_ROWS[topic]]) await engine.run(`DROP TABLE IF EXISTS ${t}`);
    await engine.run(`DROP VIEW IF EXISTS ${ALL[topic]}`);
  }
}

const dayFilter = (day: string) => `ingested_at >= ${sqlDayStart(day)} AND ingested_at < ${sqlDayStart(day)} + INTERVAL 1 DAY`;

export interface CuratedFile {
  key: string;
  file: string;
  rows: number;
  /** the day's staged file with its bookkeeping columns dropped (else the rows were copied) */
  projected: boolean;
}

/**
 * Write a topic's curated Parquet file of the day to tmpDir (not yet to the lake): one row per ind
 * (the latest: largest ingested_at, then largest event_id). The rows are in no particular order
 * (the engine's threads read the chunks side by side; a sort of the wide rows would cost more than
 * the rest of the copy). When the day's staged file holds exactly the curated rows (the common
 * case: every line vouched for, nothing superseded), the curated file is that file with its
 * bookkeeping columns dropped from its footer (src/engine/parquet/project.ts; a_<topic> cannot be
 * read afterwards); otherwise the rows are copied.
 */
export async function writeCurated(engine: Engine, topic: RecordType, day: string, tmpDir: string, loaded: LoadResult): Promise<CuratedFile> {
  const table = TABLE_OF[topic];
  const file = path.join(tmpDir, `${table}.parquet`);
  const a = ALL[topic];
  const x = SUPERSEDED[topic];
  const key = `curated/${table}/dt=${day}/part-0.parquet`;
  // the day's rows that are not the latest of their ind (only inds with more than one record are ranked, if any)
  const [r] = await engine.all(`SELECT count(*) AS n FROM ${REPEATED[topic]}`);
  if (Number(r?.n ?? 0) > 0) {
    await engine.run(
      `INSERT INTO ${x} SELECT _src, _row FROM ${a} ANTI JOIN ${x} USING (_src, _row) WHERE ${dayFilter(day)} AND ind IN (SELECT ind FROM ${REPEATED[topic]}) ` +
        'QUALIFY row_number() OVER (PARTITION BY ind ORDER BY ingested_at DESC, event_id DESC) > 1',
    );
  }
  const [c] = await engine.all(
    `SELECT count(*) FILTER (WHERE _src = ${SOURCE.day} AND NOT (${dayFilter(day)})) AS day_out, count(*) FILTER (WHERE _src <> ${SOURCE.day} AND ${dayFilter(day)}) AS others_in, ` +
      `(SELECT count(*) FROM ${x} WHERE _src = ${SOURCE.day}) AS day_left_out FROM ${a}`,
  );
  const cols = columnList(CURATED_COLUMNS[table]);
  if (loaded.dayFile && loaded.dayFileWhole && Number(c?.day_out) === 0 && Number(c?.others_in) === 0 && Number(c?.day_left_out) === 0) {
    // the staged file itself becomes the curated file (a_<topic> cannot read it afterwards)
    return {
      key,
      file: loaded.dayFile,
      rows: await dropColumns(
        loaded.dayFile,
        CURATED_COLUMNS[table].map(([n]) => n),
      ),
      projected: true,
    };
  }
  const select = `SELECT ${cols} FROM ${a} ANTI JOIN ${x} USING (_src, _row) WHERE ${dayFilter(day)}`;
  const [res] = await engine.all(`COPY (${select}) TO ${sqlString(file)} (${STAGED_PARQUET})`);
  return { key, file, rows: Number(res?.Count ?? 0), projected: false };
}

/** Put the curated files into the lake (each put is atomic). */
export async function publishCurated(lake: Lake, files: CuratedFile[]): Promise<void> {
  for (const f of files) {
    await lake.putFile(f.key, f.file);
  }
}

export interface RealtimeResult {
  metric: RealtimeMetric;
  rows: Row[];
  seconds: number;
}

export interface DayRealtime {
  results: RealtimeResult[];
  unmatchedGeo: number;
  unmatchedUser: number;
}

/** A row of a realtime metric as computed in SQL → as stored (key columns as text, final) */
export function realtimeRow(metric: RealtimeMetric, r: PlainRow): Row {
  const out: Row = { minute: r.minute as string };
  for (const k of metric.keyColumns) out[k] = keyText(r[k] as string | number | boolean | null);
  // an infinite or NaN value (a division by zero) is stored as null, as the stream does
  for (const v of metric.valueColumns) {
    const n = r[v] === null || r[v] === undefined ? null : Number(r[v]);
    out[v] = n === null || !Number.isFinite(n) ? null : n;
  }
  out.final = true;
  return out;
}

/**
 * A metric's rows (the SQL of planSql) as stored, read by columns: the minute as epoch ms (its text
 * made once per minute) and the values as DOUBLE; a day of a keyed metric has hundreds of thousands
 * of rows, and DuckDB's row-wise conversion with a Date per minute cost more than the query.
 */
export async function windowRows(engine: Engine, metric: RealtimeMetric, sql: string): Promise<Row[]> {
  const select = [
    'epoch_ms(minute)::DOUBLE AS minute',
    ...metric.keyColumns.map(ident),
    ...metric.valueColumns.map((v) => `TRY_CAST(${ident(v)} AS DOUBLE) AS ${ident(v)}`),
  ];
  const cols = await engine.columns(`SELECT ${select.join(', ')} FROM (${sql})`);
  const names = ['minute', ...metric.keyColumns, ...metric.valueColumns];
  const minutes = new Map<number, string>();
  const iso = (ms: number) => minutes.get(ms) ?? minutes.set(ms, new Date(ms).toISOString()).get(ms)!;
  const out: Row[] = [];
  for (let r = 0; r < (cols[0]?.length ?? 0); r++) {
    const row: PlainRow = { minute: iso(cols[0]![r] as number) };
    for (let c = 1; c < names.length; c++) row[names[c]!] = cols[c]![r]!;
    out.push(realtimeRow(metric, row));
  }
  return out;
}

/** order of stored rows: minute, then the key texts (a null key, '', first) */
export const byWindowKey =
  (metric: RealtimeMetric) =>
  (a: Row, b: Row): number => {
    if (a.minute !== b.minute) return String(a.minute) < String(b.minute) ? -1 : 1;
    for (const k of metric.keyColumns) {
      const c = compareText(String(a[k]), String(b[k]));
      if (c !== 0) return c;
    }
    return 0;
  };

/**
 * The windows of the realtime metrics over [from, to) from de-duplicated records (the day and its
 * neighbour margins), with the stream's join (src/engine/metrics/realtime.ts). The metrics of one
 * record type come first; with `dropUnread` (batch-run's own tables d_<topic>, dropped afterwards)
 * the columns that only they read are dropped from the tables before the join is materialized,
 * which then fits in the engine's memory at 10M records instead of spilling.
 */
export async function computeRealtimeRange(
  engine: Engine,
  given: RealtimeInputs,
  metrics: RealtimeMetric[],
  opts: { dropUnread?: boolean } = {},
): Promise<DayRealtime> {
  // a relation of repeated inds that is empty (the common case) leaves the general matching out
  const some = async (rel: string | null) => (rel && (await engine.all(`SELECT 1 FROM ${rel} LIMIT 1`)).length ? rel : null);
  const inputs = given.repeated ? { ...given, repeated: { geo: await some(given.repeated.geo), user: await some(given.repeated.user) } } : given;
  const joined = metrics.filter((m) => m.plan.trigger.startsWith('pin+'));
  const cols = {
    pin: [...new Set(joined.flatMap((m) => m.plan.columns.pin))],
    geo: [...new Set(joined.flatMap((m) => m.plan.columns.geo))],
    user: [...new Set(joined.flatMap((m) => m.plan.columns.user))],
  };
  const results = new Map<RealtimeMetric, RealtimeResult>();
  const compute = async (metric: RealtimeMetric) => {
    const t = performance.now();
    const rows = (await windowRows(engine, metric, planSql(metric.plan, inputs, 'pin_matches'))).sort(byWindowKey(metric));
    results.set(metric, { metric, rows, seconds: Math.round(performance.now() - t) / 1000 });
  };
  for (const metric of metrics) if (!joined.includes(metric)) await compute(metric);
  if (opts.dropUnread) {
    for (const topic of TOPICS) {
      const keep = new Set(['ind', 'ingested_at', 'event_id', ...cols[topic]]);
      const have = await engine.all(`SELECT column_name FROM duckdb_columns() WHERE table_name = ${sqlString(inputs[topic])} AND database_name = 'temp'`);
      for (const c of have.map((r) => String(r.column_name)).filter((c) => !keep.has(c))) {
        await engine.run(`ALTER TABLE ${inputs[topic]} DROP COLUMN ${ident(c)}`);
      }
    }
  }
  await engine.run(`CREATE OR REPLACE TEMP TABLE pin_matches AS ${pinMatchesSql(inputs, cols)}`);
  try {
    for (const metric of joined) await compute(metric);
    const [u] = await engine.all(unmatchedSql(inputs, 'pin_matches'));
    return { results: metrics.map((m) => results.get(m)!), unmatchedGeo: Number(u?.unmatched_geo ?? 0), unmatchedUser: Number(u?.unmatched_user ?? 0) };
  } finally {
    await engine.run('DROP TABLE IF EXISTS pin_matches');
  }
}

/** The realtime metrics' windows of one day, from the de-duplicated records (neighbour margins included). */
export async function computeRealtime(engine: Engine, day: string, joinWindowMs: number, metrics: RealtimeMetric[]): Promise<DayRealtime> {
  const from = Date.parse(`${day}T00:00:00Z`);
  return computeRealtimeRange(engine, { ...DEDUP, joinWindowMs, from, to: from + 86_400_000, repeated: REPEATED }, metrics, { dropUnread: true });
}
