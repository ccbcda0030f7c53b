/**
 * pinpipe consume-stream: the log → clean → join by ind → the realtime metrics per minute → real-time views,
 * effectively once. The role's logic lives in src/pipeline/stream; this only wires config,
 * connectors and output.
 */
import { z } from 'zod';
import type { CommandContext } from './context.js';
import { COMMON, defineCommand, flag, text } from './options.js';
import { open } from '../connectors/open.js';
import { loadMetrics } from '../metrics/registry.js';
import { summaryLine } from '../pipeline/stream/monitor.js';
import { runStream } from '../pipeline/stream/runner.js';

/** --group, --lateness, --join-window and --metrics-dir are settings, checked with the config */
const options = z.strictObject({ ...COMMON, untilIdle: flag, group: text, lateness: text, joinWindow: text, metricsDir: text });

export const command = defineCommand(options, run);

async function run(opts: z.output<typeof options>, ctx: CommandContext): Promise<number> {
  const metrics = await loadMetrics(ctx.config);
  await using c = await open(ctx.config, { log: true, store: true, realtime: metrics.realtime });
  const { stats } = await runStream(ctx.config, c.log, c.realtime, c.store, {
    metrics,
    untilIdle: Boolean(opts.untilIdle),
    signal: ctx.signal,
    logger: ctx.logger,
    tty: ctx.tty && Boolean(process.stderr.isTTY),
  });
  ctx.logger.info('done', stats.summary());
  ctx.out(summaryLine(stats));
  return 0;
}
