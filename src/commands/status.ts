/**
 * `pinpipe status [--json]`: the pipeline's health from the connectors (no role needs to run):
 * lag per group and partition, the stream's watermark and latest windows, the ledger's days, the
 * last batch runs, dead letters. Exit 0 when healthy; 1 when a consumer group is behind by more
 * than --max-lag records, the stream's watermark is older than --max-watermark-age while it has
 * records to read, a day failed, or a source cannot be read (for cron and monitoring).
 */
import chalk from 'chalk';
import { z } from 'zod';
import type { CommandContext } from './context.js';
import { COMMON, defineCommand, flag, integer, text } from './options.js';
import { parseDuration } from '../core/time.js';
import { open } from '../connectors/open.js';
import { loadMetrics } from '../metrics/registry.js';
import { formatStatus } from '../status/format.js';
import { DEFAULT_THRESHOLDS, StatusReader, type StatusThresholds } from '../status/reader.js';
import type { StatusReport } from '../status/types.js';

const options = z.strictObject({
  ...COMMON,
  json: flag,
  maxLag: integer('must be a non-negative number of records', (n) => n >= 0).optional(),
  maxWatermarkAge: z
    .string()
    .refine((v) => (parseDuration(v) ?? -1) >= 0, 'must be a duration such as 90s or 5m')
    .optional(),
  metricsDir: text,
});

/** one reading of the pipeline's health with connectors opened for it */
export async function readStatus(ctx: CommandContext, thresholds: StatusThresholds): Promise<StatusReport> {
  const { config } = ctx;
  const metrics = await loadMetrics(config);
  // not connected here: a source that cannot be read shows as an error of the report
  const c = await open(config, { log: true, lake: true, store: true, realtime: metrics.realtime }, { connect: false });
  const reader = new StatusReader({ config, metrics, log: c.log, lake: c.lake, store: c.store, realtime: c.realtime }, { thresholds });
  try {
    await c.realtime.connect(metrics.realtime).catch(() => {});
    return await reader.read();
  } finally {
    await reader.close().catch(() => {});
    await c.close().catch(() => {});
  }
}

export const command = defineCommand(options, run);

async function run(opts: z.output<typeof options>, ctx: CommandContext): Promise<number> {
  const thresholds: StatusThresholds = {
    maxLag: opts.maxLag ?? DEFAULT_THRESHOLDS.maxLag,
    maxWatermarkAgeMs: opts.maxWatermarkAge === undefined ? DEFAULT_THRESHOLDS.maxWatermarkAgeMs : parseDuration(opts.maxWatermarkAge)!,
  };
  const report = await readStatus(ctx, thresholds);
  if (opts.json || !ctx.tty) ctx.out(JSON.stringify(report) + '\n');
  else {
    const color = chalk.level > 0 && !process.env.NO_COLOR;
    const width = Math.max(60, process.stdout.columns || 80);
    ctx.out(formatStatus(report, width, color ? { bold: chalk.bold, bad: chalk.red, good: chalk.green, dim: chalk.dim } : {}));
  }
  return report.healthy ? 0 : 1;
}
