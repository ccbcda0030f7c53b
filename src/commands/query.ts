/**
 * pinpipe query: read-only SQL over the lake (DuckDB views raw_pin, raw_geo, raw_user, pins, geo,
 * users, postings), over the serving store (--store), or one metric (--metric ID, built-in or a
 * user's metric file; from the stored results or, with --source lake, computed now); --list shows
 * what there is to query. The SQL comes from the argument, -f FILE or standard input (query-input.ts). A table on a
 * terminal, otherwise (or with --json) a JSON array of row objects; --csv for CSV. Notes for
 * people (rows cut by --limit, raw lines the engine could not read) go to stderr.
 */
import path from 'node:path';
import chalk from 'chalk';
import type { CommandContext } from './context.js';
import { PinpipeError } from '../core/errors.js';
import { TOPICS } from '../core/records.js';
import { createLake, createRealtime, createStore } from '../connectors/registry.js';
import { tablesWithColumnsSql } from '../connectors/store/readonly-sql.js';
import { columnsOf, toCsv, toJson, toTable, type Result } from '../engine/format.js';
import { loadMetrics, type Metric, type MetricSet } from '../metrics/registry.js';
import { openLakeEngine, runReadOnly } from '../engine/query.js';
import { CURATED_COLUMNS, CURATED_TABLES, POSTINGS_COLUMNS, RAW_COLUMNS } from '../engine/schema.js';
import { unreadableWarningFor } from '../engine/unreadable.js';
import { toPlain, type PlainRow } from '../engine/values.js';
import { metricFromLake } from '../pipeline/batch-run/metric.js';
import { windowRow } from '../metrics/state.js';
import { readSql } from './query-input.js';

export interface QueryOptions {
  args?: string[];
  file?: string;
  store?: boolean;
  metric?: string;
  source?: string;
  json?: boolean;
  csv?: boolean;
  limit?: number;
  list?: boolean;
}

const usage = (msg: string) => new PinpipeError('USAGE', msg);

export type Checked = { sql?: string; metric?: string; source: 'store' | 'lake'; list?: true };

export function checkQueryOptions(opts: QueryOptions): Checked {
  const sql = opts.args?.[0];
  if (opts.args && opts.args.length > 1) throw usage('give the SQL as one argument (quote it)');
  if (opts.json && opts.csv) throw usage('--json and --csv cannot be combined: choose one output format');
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) throw usage(`--limit must be a non-negative integer, got ${opts.limit}`);
  if (opts.source !== undefined && opts.metric === undefined) throw usage('--source applies to --metric only');
  if (opts.source !== undefined && opts.source !== 'store' && opts.source !== 'lake') throw usage(`--source must be "store" or "lake", got ${JSON.stringify(opts.source)}`);
  if (opts.list) {
    if (sql !== undefined || opts.metric !== undefined || opts.store) throw usage('--list lists the lake views and the store tables: give it alone (with --json or --csv)');
    return { list: true, source: 'lake' };
  }
  if (opts.metric !== undefined) {
    if (sql !== undefined) throw usage('give either SQL or --metric, not both');
    if (opts.store) throw usage('--store runs SQL against the store; with --metric use --source store|lake');
    if (opts.metric.trim() === '') throw usage('--metric needs an id (pinpipe metrics list shows them)');
    return { metric: opts.metric, source: (opts.source as 'store' | 'lake' | undefined) ?? 'store' };
  }
  if (sql === undefined || sql.trim() === '') throw usage('give a read-only SQL statement (argument, -f FILE or standard input), --metric ID, or --list (e.g. pinpipe query --metric Q1)');
  return { sql, source: opts.store ? 'store' : 'lake' };
}

/** What an execution gives: the rows, whether --limit cut some (and of how many, when known), notes for stderr. */
interface Outcome extends Result {
  truncated?: boolean;
  total?: number;
  notes: string[];
}

async function storedMetric(ctx: CommandContext, metric: Metric, metrics: MetricSet): Promise<Result> {
  const columns = metric.columns.map(([c]) => c);
  if (metric.kind === 'historical') {
    const store = await createStore(ctx.config);
    try {
      return { columns, rows: (await store.select(metric.spec)) as PlainRow[] };
    } finally {
      await store.close();
    }
  }
  const realtime = await createRealtime(ctx.config);
  try {
    await realtime.connect(metrics.realtime);
    return { columns, rows: (await realtime.read(metric.id)).map((w) => windowRow(metric, w)) };
  } finally {
    await realtime.close();
  }
}

/**
 * A realtime metric's key stored as '' is a null key (cleaned text is never empty): shown as null,
 * as a historical metric shows its null keys.
 */
function nullKeys(metric: Metric, r: Result): Result {
  if (metric.kind !== 'realtime') return r;
  for (const row of r.rows) for (const k of metric.keyColumns) if (row[k] === '') row[k] = null;
  return r;
}

async function storeQuery(ctx: CommandContext, sql: string): Promise<Result> {
  // the metrics' tables, so that their bool columns read as booleans on the embedded store too
  const metrics = await loadMetrics(ctx.config);
  const specs = [...metrics.historical.map((m) => m.spec), ...metrics.realtime.flatMap((m) => [m.spec, m.batchSpec])];
  const store = await createStore(ctx.config);
  try {
    const rows = ((await store.query(sql, { specs })) as PlainRow[]).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toPlain(v)])));
    return { columns: columnsOf(rows), rows };
  } finally {
    await store.close();
  }
}

/** The lake's views (from the engine's schema) and the store's tables, each with its columns. */
async function listing(ctx: CommandContext): Promise<Outcome> {
  const cols = (c: readonly (readonly [string, string])[]) => c.map(([n, t]) => `${n} ${t}`).join(', ');
  const rows: PlainRow[] = [
    ...TOPICS.map((t) => ({ source: 'lake', name: `raw_${t}`, columns: cols(RAW_COLUMNS[t]) })),
    ...CURATED_TABLES.map((t) => ({ source: 'lake', name: t, columns: cols(CURATED_COLUMNS[t]) })),
    { source: 'lake', name: 'postings', columns: POSTINGS_COLUMNS.join(', ') },
  ];
  const store = await createStore(ctx.config);
  try {
    for (const r of await store.query(tablesWithColumnsSql(store.kind))) rows.push({ source: 'store', name: String(r.table_name), columns: String(r.columns) });
  } finally {
    await store.close();
  }
  return {
    columns: ['source', 'name', 'columns'],
    rows,
    notes: ['lake views: pinpipe query "SQL"; store tables: pinpipe query --store "SQL"; metrics: pinpipe metrics list, then pinpipe query --metric ID'],
  };
}

async function execute(ctx: CommandContext, q: Checked, limit?: number): Promise<Outcome> {
  if (q.list) return listing(ctx);
  if (q.metric) {
    const metrics = await loadMetrics(ctx.config);
    const metric = metrics.get(q.metric);
    if (q.source === 'store') return { ...nullKeys(metric, await storedMetric(ctx, metric, metrics)), notes: [] };
    const lake = await createLake(ctx.config);
    try {
      return { ...nullKeys(metric, await metricFromLake(ctx.config, lake, metric)), notes: [] };
    } finally {
      await lake.close();
    }
  }
  if (q.source === 'store') return { ...(await storeQuery(ctx, q.sql!)), notes: [] };
  const lake = await createLake(ctx.config);
  try {
    const engine = await openLakeEngine(ctx.config, lake);
    try {
      const result = await runReadOnly(engine, q.sql!, limit);
      const unreadable = await unreadableWarningFor(engine, engine.dirs.raw, q.sql!, path.join(ctx.config.dataDir, 'cache', 'raw-unreadable.json'));
      return { ...result, notes: unreadable ? [`warning: ${unreadable}`] : [] };
    } finally {
      engine.close();
    }
  } finally {
    await lake.close();
  }
}

/** The note for rows cut by --limit (null when none were). */
export function limitNote(limit: number | undefined, shown: number, truncated: boolean | undefined, total?: number): string | null {
  if (limit === undefined || !truncated) return null;
  return total !== undefined ? `showing ${shown} of ${total} rows (--limit ${limit})` : `showing the first ${shown} rows; there are more (--limit ${limit})`;
}

export async function run(opts: QueryOptions, ctx: CommandContext): Promise<number> {
  const sql = await readSql({ args: opts.args ?? [], file: opts.file, other: Boolean(opts.metric !== undefined || opts.list), stdinIsTty: Boolean(process.stdin.isTTY) });
  const q = checkQueryOptions({ ...opts, args: sql === undefined ? [] : [sql] });
  const result = await execute(ctx, q, opts.limit);
  if (opts.limit !== undefined && result.truncated === undefined) {
    result.total = result.rows.length;
    result.truncated = result.rows.length > opts.limit;
    result.rows = result.rows.slice(0, opts.limit);
  }
  const cut = limitNote(opts.limit, result.rows.length, result.truncated, result.total);
  if (opts.csv) ctx.out(toCsv(result));
  else if (opts.json || !ctx.tty) ctx.out(toJson(result));
  else {
    const color = chalk.level > 0 && !process.env.NO_COLOR;
    ctx.out(toTable(result, color ? { header: chalk.bold, dim: chalk.dim } : {}));
  }
  for (const note of [...(cut ? [cut] : []), ...result.notes]) process.stderr.write(`pinpipe: ${note}\n`);
  return 0;
}
