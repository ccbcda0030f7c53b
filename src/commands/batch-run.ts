/**
 * pinpipe batch-run: clean, de-duplicate and curate the days that need it (new, completed, late
 * data), backfill new or changed metrics, and compute the historical metrics over every curated
 * day, into the serving store. The logic lives in src/pipeline/batch-run; this wires config,
 * connectors, progress and output.
 */
import path from 'node:path';
import type { Ora } from 'ora';
import { z } from 'zod';
import { createSpinner } from '../core/progress.js';
import type { Config } from '../core/config.js';
import type { CommandContext } from './context.js';
import { COMMON, defineCommand, flag, text, usageCheck } from './options.js';
import { open } from '../connectors/open.js';
import { createLogger } from '../core/logger.js';
import { loadMetrics } from '../metrics/registry.js';
import { checkSelection } from '../pipeline/batch-run/days.js';
import { runBatch, type BatchSummary } from '../pipeline/batch-run/runner.js';

/** the days: calendar days, one with --date or a forward range with --from and --to (checkSelection) */
const options = z
  .strictObject({ ...COMMON, date: text, from: text, to: text, metric: text, dryRun: flag, json: flag, metricsDir: text, engine: text, sparkMaster: text })
  .superRefine(usageCheck((o) => checkSelection({ date: o.date, from: o.from, to: o.to })));

export type BatchRunOptions = z.output<typeof options>;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function summaryText(s: BatchSummary): string {
  const lines: string[] = [];
  const skipped = s.skipped.length ? [`skipped: ${s.skipped.map((d) => `${d.day} (${d.reason})`).join(', ')}`] : [];
  if (s.dry_run) {
    lines.push(s.days.length ? `would process: ${s.days.map((d) => `${d.day} (${d.reason})`).join(', ')}` : 'would process no day');
    for (const m of s.metrics)
      lines.push(`would compute ${m.id} (${m.kind}, ${m.reason})${m.days ? ` for ${plural(m.days.length, 'day')}: ${m.days.join(', ')}` : ''}`);
    lines.push(...skipped);
    return lines.join('\n') + '\n';
  }
  if (s.days.length === 0 && s.metrics.length === 0 && Object.keys(s.historical).length === 0) {
    return (
      [
        'nothing to do: every complete day is done and every metric is up to date (use --date or --from/--to to re-run days, --metric ID to recompute a metric)',
        ...skipped,
      ].join('\n') + '\n'
    );
  }
  for (const d of s.days) {
    lines.push(
      d.status === 'done'
        ? `${d.day} done (${d.reason}): ${d.raw_records} raw records, ${d.curated_rows} curated rows, ${d.dead} dead, unmatched geo ${d.unmatched_geo} / user ${d.unmatched_user} (${d.seconds} s)`
        : `${d.day} FAILED (${d.reason}): ${d.message} (${d.seconds} s)`,
    );
  }
  for (const m of s.metrics) lines.push(`${m.id} (${m.kind}, ${m.reason}): ${m.rows ?? 0} rows${m.days ? ` over ${plural(m.days.length, 'day')}` : ''}`);
  lines.push(...skipped);
  const h = Object.keys(s.historical).length;
  const q = h ? `; ${plural(h, 'historical metric')} recomputed over every curated day` : '';
  lines.push(
    `${plural(s.days.length, 'day')}: ${s.raw_records} raw records, ${s.curated_rows} curated rows, ${s.dead} dead, ${s.failed} failed${q} in ${s.seconds} s`,
  );
  return lines.join('\n') + '\n';
}

/** Where the raw zone is, for people: a directory of the local lake, or an S3 URL. */
export function rawLocation(cfg: Config): string {
  if (cfg.lake.kind === 's3') {
    const p = cfg.lake.s3.prefix;
    return `s3://${cfg.lake.s3.bucket}/${p && !p.endsWith('/') ? `${p}/` : p}raw/`;
  }
  return path.join(cfg.dataDir, 'lake', 'raw');
}

/** The answer when the raw zone holds no chunk at all: an empty or mistyped data dir (or bucket). */
export function noRawData(cfg: Config, json: boolean): string {
  const message = `no raw data found at ${rawLocation(cfg)}: nothing to do (is the data dir right? it is ${cfg.dataDir}: --data-dir, PINPIPE_DATA_DIR${cfg.lake.kind === 's3' ? '; the lake is S3: PINPIPE_S3_BUCKET, PINPIPE_S3_PREFIX' : ''})`;
  return json ? `${JSON.stringify({ days: [], raw_records: 0, curated_rows: 0, dead: 0, failed: 0, historical: {}, seconds: 0, message })}\n` : `${message}\n`;
}

export const command = defineCommand(options, run);

async function run(opts: BatchRunOptions, ctx: CommandContext): Promise<number> {
  const sel = checkSelection({ date: opts.date, from: opts.from, to: opts.to });
  const metrics = await loadMetrics(ctx.config);
  if (opts.metric) metrics.get(opts.metric);
  await using l = await open(ctx.config, { lake: true });
  const { lake } = l;
  // before anything is created in the data dir: no raw chunk at all is most likely a wrong path
  if (!(await lake.list('raw/')).some((o) => o.key.endsWith('.ndjson.gz'))) {
    ctx.out(noRawData(ctx.config, Boolean(opts.json)));
    return 0;
  }
  await using s = await open(ctx.config, { store: true });
  const { store } = s;
  let spinner: Ora | undefined;
  // (a terminal that reports no width, e.g. a bare pty, makes ora redraw endlessly: no spinner there)
  if (ctx.tty && process.stderr.isTTY && (process.stderr.columns ?? 0) > 0 && !opts.dryRun) spinner = (await createSpinner('batch-run: choosing days')).start();
  try {
    const summary = await runBatch(
      // with a spinner on the terminal, only warnings and errors are logged (the summary says the rest)
      { cfg: ctx.config, lake, store, metrics, logger: spinner ? createLogger({ component: 'batch-run', level: 'warn' }) : ctx.logger },
      { ...sel, metric: opts.metric, dryRun: opts.dryRun, signal: ctx.signal, onProgress: spinner ? (t) => (spinner!.text = t) : undefined },
    );
    if (spinner && summary.failed) spinner.fail('batch-run finished with failures');
    else if (spinner) spinner.succeed('batch-run finished');
    ctx.out(opts.json ? JSON.stringify(summary) + '\n' : summaryText(summary));
    return summary.failed ? 1 : 0;
  } catch (e) {
    spinner?.fail('batch-run failed');
    throw e;
  }
}
