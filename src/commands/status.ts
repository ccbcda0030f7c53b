/**
 * `pinpipe status [--json]`: the pipeline's health from the connectors (no role needs to run):
 * lag per group and partition, the stream's watermark and latest windows, the ledger's days, the
 * last batch runs, dead letters. Exit 0 when healthy; 1 when a consumer group is behind by more
 * than --max-lag records, the stream's watermark is older than --max-watermark-age while it has
 * records to read, a day failed, or a source cannot be read (for cron and monitoring).
 */
import chalk from 'chalk';
import type { CommandContext } from './context.js';
import { PinpipeError } from '../core/errors.js';
import { parseDuration } from '../core/time.js';
import { createLake, createLog, createRealtime, createStore } from '../connectors/registry.js';
import { loadMetrics } from '../metrics/registry.js';
import { formatStatus } from '../status/format.js';
import { DEFAULT_THRESHOLDS, StatusReader, type StatusThresholds } from '../status/reader.js';
import type { StatusReport } from '../status/types.js';

export interface StatusOptions {
  json?: boolean;
  maxLag?: number;
  maxWatermarkAge?: string;
}

export function checkStatusOptions(opts: StatusOptions): StatusThresholds {
  const maxLag = opts.maxLag ?? DEFAULT_THRESHOLDS.maxLag;
  if (!Number.isInteger(maxLag) || maxLag < 0) throw new PinpipeError('USAGE', `--max-lag must be a non-negative number of records, got ${opts.maxLag}`);
  const age = opts.maxWatermarkAge === undefined ? DEFAULT_THRESHOLDS.maxWatermarkAgeMs : parseDuration(opts.maxWatermarkAge);
  if (age === null || age < 0) throw new PinpipeError('USAGE', `--max-watermark-age must be a duration such as 90s or 5m, got ${JSON.stringify(opts.maxWatermarkAge)}`);
  return { maxLag, maxWatermarkAgeMs: age };
}

/** one reading of the pipeline's health with connectors opened for it */
export async function readStatus(ctx: CommandContext, thresholds: StatusThresholds): Promise<StatusReport> {
  const { config } = ctx;
  const metrics = await loadMetrics(config);
  const [log, lake, store, realtime] = await Promise.all([createLog(config), createLake(config), createStore(config), createRealtime(config)]);
  const reader = new StatusReader({ config, metrics, log, lake, store, realtime }, { thresholds });
  try {
    await realtime.connect(metrics.realtime).catch(() => {}); // a failure shows as an error of the report
    return await reader.read();
  } finally {
    await reader.close().catch(() => {});
    await Promise.all([lake.close(), store.close(), realtime.close()].map((p) => p.catch(() => {})));
  }
}

export async function run(opts: StatusOptions, ctx: CommandContext): Promise<number> {
  const thresholds = checkStatusOptions(opts);
  const report = await readStatus(ctx, thresholds);
  if (opts.json || !ctx.tty) ctx.out(JSON.stringify(report) + '\n');
  else {
    const color = chalk.level > 0 && !process.env.NO_COLOR;
    const width = Math.max(60, process.stdout.columns || 80);
    ctx.out(formatStatus(report, width, color ? { bold: chalk.bold, bad: chalk.red, good: chalk.green, dim: chalk.dim } : {}));
  }
  return report.healthy ? 0 : 1;
}
