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
import { z } from 'zod';
import type { CommandContext } from './context.js';
import { COMMON, defineCommand, flag, integer, parseOptions, text } from './options.js';
import { PinpipeError } from '../core/errors.js';
import { TOPICS } from '../core/records.js';
import { open } from '../connectors/open.js';
import { tablesWithColumnsSql } from '../connectors/store/readonly-sql.js';
import { columnsOf, toCsv, toJson, toTable, type Result } from '../engine/format.js';
import { loadMetrics, type Metric, type MetricSet } from '../metrics/registry.js';
import { openLakeEngine, runReadOnly } from '../engine/query.js';
import { CURATED_COLUMNS, CURATED_TABLES, POSTINGS_COLUMNS, RAW_COLUMNS } from '../engine/schema.js';
import { unreadableWarningFor, type CountProgress } from '../engine/unreadable.js';
import { startProgress, type Progress } from '../core/progress.js';
import { toPlain, type PlainRow } from '../engine/values.js';
import { metricFromLake } from '../pipeline/batch-run/metric.js';
import { windowRow } from '../metrics/state.js';
import { readSql } from './query-input.js';

const options = z.strictObject({
  ...COMMON,
  file: text,
  list: flag,
  store: flag,
  metric: text,
  source: z
    .string()
    .refine((v) => v === 'store' || v === 'lake', 'must be "store" or "lake"')
    .optional(),
  json: flag,
  csv: flag,
  limit: integer('must be a non-negative integer', (n) => n >= 0).optional(),
  metricsDir: text,
});

export type QueryOptions = z.input<typeof options>;

const usage = (msg: string) => new PinpipeError('USAGE', msg);

export type Checked = { sql?: string; metric?: string; source: 'store' | 'lake'; list?: true };

/** The options' values (the schema), then what they ask for together, with the SQL as the only argument once it is read. */
export function checkQueryOptions(raw: QueryOptions): Checked {
  const opts = parseOptions(options, raw);
  const sql = opts.args[0];
  if (opts.args.length > 1) throw usage('give the SQL as one argument (quote it)');
  if (opts.json && opts.csv) throw usage('--json and --csv cannot be combined: choose one output format');
  if (opts.source !== undefined && opts.metric === undefined) throw usage('--source applies to --metric only');
  if (opts.list) {
    if (sql !== undefined || opts.metric !== undefined || opts.store)
      throw usage('--list lists the lake views and the store tables: give it alone (with --json or --csv)');
    return { list: true, source: 'lake' };
  }
  if (opts.metric !== undefined) {
    if (sql !== undefined) throw usage('give either SQL or --metric, not both');
    if (opts.store) throw usage('--store runs SQL against the store; with --metric use --source store|lake');
    if (opts.metric.trim() === '') throw usage('--metric needs an id (pinpipe metrics list shows them)');
    return { metric: opts.metric, source: (opts.source as 'store' | 'lake' | undefined) ?? 'store' };
  }
  if (sql === undefined || sql.trim() === '')
    throw usage('give a read-only SQL statement (argument, -f FILE or standard input), --metric ID, or --list (e.g. pinpipe query --metric Q1)');
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
    await using c = await open(ctx.config, { store: true });
    return { columns, rows: (await c.store.select(metric.spec)) as PlainRow[] };
  }
  await using c = await open(ctx.config, { realtime: metrics.realtime });
  return { columns, rows: (await c.realtime.read(metric.id)).map((w) => windowRow(metric, w)) };
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
  await using c = await open(ctx.config, { store: true });
  const rows = ((await c.store.query(sql, { specs })) as PlainRow[]).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toPlain(v)])));
  return { columns: columnsOf(rows), rows };
}

/** The lake's views (from the engine's schema) and the store's tables, each with its columns. */
async function listing(ctx: CommandContext): Promise<Outcome> {
  const cols = (c: readonly (readonly [string, string])[]) => c.map(([n, t]) => `${n} ${t}`).join(', ');
  const rows: PlainRow[] = [
    ...TOPICS.map((t) => ({ source: 'lake', name: `raw_${t}`, columns: cols(RAW_COLUMNS[t]) })),
    ...CURATED_TABLES.map((t) => ({ source: 'lake', name: t, columns: cols(CURATED_COLUMNS[t]) })),
    { source: 'lake', name: 'postings', columns: POSTINGS_COLUMNS.join(', ') },
  ];
  await using c = await open(ctx.config, { store: true });
  for (const r of await c.store.query(tablesWithColumnsSql(c.store.kind)))
    rows.push({ source: 'store', name: String(r.table_name), columns: String(r.columns) });
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
    await using c = await open(ctx.config, { lake: true });
    return { ...nullKeys(metric, await metricFromLake(ctx.config, c.lake, metric)), notes: [] };
  }
  if (q.source === 'store') return { ...(await storeQuery(ctx, q.sql!)), notes: [] };
  await using c = await open(ctx.config, { lake: true });
  const engine = await openLakeEngine(ctx.config, c.lake);
  try {
    const result = await runReadOnly(engine, q.sql!, limit);
    const counting = countingProgress(ctx);
    const unreadable = await unreadableWarningFor(
      engine,
      engine.dirs.raw,
      q.sql!,
      path.join(ctx.config.dataDir, 'cache', 'raw-unreadable.json'),
      counting.tick,
    );
    counting.stop();
    return { ...result, notes: unreadable ? [`warning: ${unreadable}`] : [] };
  } finally {
    engine.close();
  }
}

/** files to count before the count shows progress (a day of raw chunks is ~13,000 files: tens of seconds the first time) */
const COUNT_PROGRESS_FILES = 200;

/** Progress of the first count of raw files' unreadable lines (unreadable.ts), shown only when there are many. */
function countingProgress(ctx: CommandContext): { tick: CountProgress; stop: () => void } {
  let progress: Progress | undefined;
  let at = { counted: 0, total: 0 };
  return {
    tick: (counted, total) => {
      at = { counted, total };
      if (!progress && total >= COUNT_PROGRESS_FILES)
        progress = startProgress(
          () => `counting the lines the engine cannot read in ${at.total} raw files it has not seen (once per file): ${at.counted} done`,
          () => ({ task: 'counting unreadable raw lines', counted: at.counted, files: at.total }),
          ctx.logger,
          ctx.tty,
        );
      progress?.tick();
    },
    stop: () => progress?.stop(),
  };
}

/** The note for rows cut by --limit (null when none were). */
export function limitNote(limit: number | undefined, shown: number, truncated: boolean | undefined, total?: number): string | null {
  if (limit === undefined || !truncated) return null;
  return total !== undefined ? `showing ${shown} of ${total} rows (--limit ${limit})` : `showing the first ${shown} rows; there are more (--limit ${limit})`;
}

export const command = defineCommand(options, run);

async function run(opts: z.output<typeof options>, ctx: CommandContext): Promise<number> {
  const sql = await readSql({
    args: opts.args,
    file: opts.file,
    other: Boolean(opts.metric !== undefined || opts.list),
    stdinIsTty: Boolean(process.stdin.isTTY),
  });
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
