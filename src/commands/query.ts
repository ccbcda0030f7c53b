/**
 * pinpipe query: read-only SQL over the lake (DuckDB views raw_pin, raw_geo, raw_user, pins, geo,
 * users, postings), over the serving store (--store), or one metric (--metric ID, built-in or a
 * user's metric file; from the stored results or, with --source lake, computed now). A table on a
 * terminal, otherwise (or with --json) a JSON array of row objects; --csv for RFC 4180 CSV.
 */
import chalk from 'chalk';
import type { CommandContext } from './context.js';
import { PinpipeError } from '../core/errors.js';
import { createLake, createRealtime, createStore } from '../connectors/registry.js';
import { columnsOf, toCsv, toJson, toTable, type Result } from '../engine/format.js';
import { loadMetrics, type Metric, type MetricSet } from '../metrics/registry.js';
import { openLakeEngine, runReadOnly } from '../engine/query.js';
import { toPlain, type PlainRow } from '../engine/values.js';
import { metricFromLake } from '../pipeline/batch-run/metric.js';
import { windowRow } from '../metrics/state.js';

export interface QueryOptions {
  args?: string[];
  store?: boolean;
  metric?: string;
  source?: string;
  json?: boolean;
  csv?: boolean;
  limit?: number;
}

const usage = (msg: string) => new PinpipeError('USAGE', msg);

export function checkQueryOptions(opts: QueryOptions): { sql?: string; metric?: string; source: 'store' | 'lake' } {
  const sql = opts.args?.[0];
  if (opts.args && opts.args.length > 1) throw usage('give the SQL as one argument (quote it)');
  if (opts.json && opts.csv) throw usage('--json and --csv cannot be combined: choose one output format');
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) throw usage(`--limit must be a non-negative integer, got ${opts.limit}`);
  if (opts.source !== undefined && opts.metric === undefined) throw usage('--source applies to --metric only');
  if (opts.source !== undefined && opts.source !== 'store' && opts.source !== 'lake') throw usage(`--source must be "store" or "lake", got ${JSON.stringify(opts.source)}`);
  if (opts.metric !== undefined) {
    if (sql !== undefined) throw usage('give either SQL or --metric, not both');
    if (opts.store) throw usage('--store runs SQL against the store; with --metric use --source store|lake');
    if (opts.metric.trim() === '') throw usage('--metric needs an id (pinpipe metrics list shows them)');
    return { metric: opts.metric, source: (opts.source as 'store' | 'lake' | undefined) ?? 'store' };
  }
  if (sql === undefined || sql.trim() === '') throw usage('give a read-only SQL statement, or --metric ID (e.g. pinpipe query --metric Q1)');
  return { sql, source: opts.store ? 'store' : 'lake' };
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

async function execute(ctx: CommandContext, q: ReturnType<typeof checkQueryOptions>, limit?: number): Promise<Result> {
  if (q.metric) {
    const metrics = await loadMetrics(ctx.config);
    const metric = metrics.get(q.metric);
    if (q.source === 'store') return storedMetric(ctx, metric, metrics);
    const lake = await createLake(ctx.config);
    try {
      return await metricFromLake(ctx.config, lake, metric);
    } finally {
      await lake.close();
    }
  }
  if (q.source === 'store') {
    const store = await createStore(ctx.config);
    try {
      const rows = ((await store.query(q.sql!)) as PlainRow[]).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toPlain(v)])));
      return { columns: columnsOf(rows), rows };
    } finally {
      await store.close();
    }
  }
  const lake = await createLake(ctx.config);
  try {
    const engine = await openLakeEngine(ctx.config, lake);
    try {
      return await runReadOnly(engine, q.sql!, limit);
    } finally {
      engine.close();
    }
  } finally {
    await lake.close();
  }
}

export async function run(opts: QueryOptions, ctx: CommandContext): Promise<number> {
  const q = checkQueryOptions(opts);
  const result = await execute(ctx, q, opts.limit);
  if (opts.limit !== undefined) result.rows = result.rows.slice(0, opts.limit);
  if (opts.csv) ctx.out(toCsv(result));
  else if (opts.json || !ctx.tty) ctx.out(toJson(result));
  else {
    const color = chalk.level > 0 && !process.env.NO_COLOR;
    ctx.out(toTable(result, color ? { header: chalk.bold, dim: chalk.dim } : {}));
  }
  return 0;
}
