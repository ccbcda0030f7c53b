/**
 * pinpipe metrics list | show ID | check: the metric definitions (built-in and the user's metrics
 * directory), what the stores hold of them, and a check of every file for CI (exit 2 when a file
 * is refused, naming the file, the line and the reason).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import chalk from 'chalk';
import { z } from 'zod';
import type { CommandContext } from './context.js';
import { COMMON, defineCommand, flag, text, usageCheck } from './options.js';
import { open } from '../connectors/open.js';
import { PinpipeError, errorMessage } from '../core/errors.js';
import { toTable, type Result } from '../engine/format.js';
import { POSTINGS_COLUMNS } from '../engine/schema.js';
import type { PlainRow } from '../engine/values.js';
import { planSql } from '../metrics/realtime/sql.js';
import { checkMetrics, loadMetrics, type HistoricalMetric, type Metric, type MetricSet } from '../metrics/registry.js';
import { MetricFileError } from '../metrics/file.js';
import { portabilityProblem } from '../metrics/portable.js';
import { localCurated, runSparkJob } from '../pipeline/batch-run/spark.js';
import { sparkRealtimeDay } from '../pipeline/batch-run/spark-realtime.js';
import { listMetrics, readCatalog, readRuns, type MetricListing } from '../metrics/state.js';

const ACTIONS = ['list', 'show', 'check'] as const;

/** the arguments: an action (list, show, check) and, for show, a metric id */
const options = z.strictObject({ ...COMMON, json: flag, metricsDir: text, engine: text, sparkMaster: text }).superRefine(
  usageCheck(({ args: [action, id, ...rest] }) => {
    if (!action || !(ACTIONS as readonly string[]).includes(action))
      throw new PinpipeError('USAGE', `give an action: ${ACTIONS.join(', ')} (e.g. pinpipe metrics list)`);
    if (rest.length || (action !== 'show' && id !== undefined)) throw new PinpipeError('USAGE', `too many arguments for metrics ${action}`);
  }),
);

function table(ctx: CommandContext, r: Result): string {
  const color = ctx.tty && chalk.level > 0 && !process.env.NO_COLOR;
  return toTable(r, color ? { header: chalk.bold, dim: chalk.dim } : {});
}

async function listed(ctx: CommandContext, set: MetricSet): Promise<MetricListing[]> {
  let runs: Awaited<ReturnType<typeof readRuns>> = [];
  let catalog: Awaited<ReturnType<typeof readCatalog>> = new Map();
  await using c = await open(ctx.config, { store: true }, { connect: false });
  try {
    await c.store.connect();
    runs = await readRuns(c.store);
    catalog = await readCatalog(c.store);
  } catch (e) {
    ctx.logger.warn('cannot read the serving store: last computed and rows are not shown', { error: errorMessage(e) });
  }
  return listMetrics(set, runs, catalog);
}

function show(m: Metric): string {
  const lines = [`${m.id}: ${m.title}`, `  kind:     ${m.kind}`, `  file:     ${m.file}${m.builtin ? ' (built-in)' : ''}`, `  hash:     ${m.hash}`];
  if (m.description) lines.push(`  about:    ${m.description}`);
  if (m.kind === 'historical') {
    lines.push(
      `  table:    ${m.spec.name} (serving store; replaced by each batch-run)`,
      `  keys:     ${m.keys.join(', ') || '(none declared)'}`,
      `  reads:    postings columns ${m.reads.join(', ') || '(none)'}`,
    );
  } else {
    const p = m.plan;
    const joins = Object.entries(p.joins)
      .map(([t, k]) => `${k} join ${t === 'user' ? 'users' : t}`)
      .join(', ');
    lines.push(
      `  tables:   ${m.spec.name} (consume-stream, final windows; and the realtime store), ${m.batchSpec.name} (batch-run, for verify)`,
      `  window:   the minute of the ${p.source === 'user' ? 'user record' : p.source}'s ingested_at${joins ? `; ${joins} on ind within the stream's join window` : ''}`,
      `  keys:     ${m.keyColumns.join(', ') || '(none: one row per window)'} (stored as text; a null key is '')`,
    );
  }
  lines.push('  columns:');
  for (const [c, t] of m.columns) lines.push(`    ${c.padEnd(28)} ${t}`);
  lines.push('  SQL:', ...m.sql.split('\n').map((l) => `    ${l}`));
  if (m.kind === 'realtime') {
    const joined = m.plan.trigger.startsWith('pin+');
    lines.push(
      '  batch SQL (over one day of de-duplicated records):',
      `    ${planSql(m.plan, { pin: 'd_pin', geo: 'd_geo', user: 'd_user', joinWindowMs: 30_000 }, joined ? 'pin_matches' : undefined)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * --engine spark: the historical files outside the portable SQL subset (the construct named), then
 * the others analysed by Spark over empty tables, and the realtime files' SQL in Spark's dialect
 * (spark-realtime.ts) over empty records (one spark-submit; Spark's reason named).
 */
async function sparkProblems(ctx: CommandContext, set: MetricSet): Promise<MetricFileError[]> {
  const problems: MetricFileError[] = [];
  const rest: HistoricalMetric[] = [];
  for (const m of set.historical) {
    const p = portabilityProblem(m);
    if (p) problems.push(p);
    else rest.push(m);
  }
  const realtime = set.realtime;
  if (!rest.length && !realtime.length) return problems;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'pinpipe-spark-check-'));
  try {
    const out = await runSparkJob(ctx.config, {
      days: [],
      metrics: rest,
      postingsColumns: POSTINGS_COLUMNS,
      curated: localCurated(path.join(tmp, 'none')),
      out: path.join(tmp, 'out'),
      check: true,
      checkRealtime: realtime.length ? sparkRealtimeDay('2026-01-01', ctx.config.stream.joinWindow, realtime) : undefined,
    });
    for (const m of [...rest, ...realtime]) {
      const reason = out.refused.get(m.id);
      if (reason) problems.push(new MetricFileError(m.file, m.sqlLine, `Spark SQL refuses it (runs on DuckDB only): ${reason}`));
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return problems;
}

export const command = defineCommand(options, run);

async function run(opts: z.output<typeof options>, ctx: CommandContext): Promise<number> {
  const [action, id] = opts.args;
  if (action === 'check') {
    const { set, problems } = await checkMetrics(ctx.config, { cache: false });
    const spark = ctx.config.batch.engine === 'spark' ? await sparkProblems(ctx, set) : [];
    problems.push(...spark);
    const valid = set.all.filter((m) => !spark.some((p) => p.file === m.file));
    if (opts.json)
      ctx.out(
        JSON.stringify({
          ok: problems.length === 0,
          metrics: valid.map((m) => ({ id: m.id, kind: m.kind, file: m.file })),
          refused: problems.map((p) => ({ file: p.file, line: p.line, reason: p.reason })),
        }) + '\n',
      );
    else {
      const users = valid.filter((m) => !m.builtin);
      const rel = set.dir ? path.relative(process.cwd(), set.dir) : '';
      const where = set.dir ? (rel && !rel.startsWith('..') ? `./${rel}` : set.dir) : '';
      ctx.out(
        `${valid.length} metric files valid (${valid.length - users.length} built-in${set.dir ? `, ${users.length} in ${where}` : '; no metrics directory'})\n`,
      );
      for (const p of problems) ctx.out(`REFUSED ${p.message}\n`);
    }
    return problems.length ? 2 : 0;
  }
  const set = await loadMetrics(ctx.config);
  if (action === 'show') {
    if (!id) throw new PinpipeError('USAGE', 'give a metric id: pinpipe metrics show Q1');
    const m = set.get(id);
    ctx.out(
      opts.json
        ? JSON.stringify({
            id: m.id,
            title: m.title,
            kind: m.kind,
            file: m.file,
            builtin: m.builtin,
            hash: m.hash,
            description: m.description,
            keys: m.kind === 'realtime' ? m.keyColumns : m.keys,
            columns: m.columns.map(([name, type]) => ({ name, type })),
            tables: m.kind === 'realtime' ? [m.spec.name, m.batchSpec.name] : [m.spec.name],
            sql: m.sql,
          }) + '\n'
        : show(m),
    );
    return 0;
  }
  const rows = await listed(ctx, set);
  if (opts.json || !ctx.tty) ctx.out(JSON.stringify(rows) + '\n');
  else ctx.out(table(ctx, { columns: ['id', 'kind', 'title', 'file', 'last_computed', 'rows', 'stream_from'], rows: rows as unknown as PlainRow[] }));
  return 0;
}
