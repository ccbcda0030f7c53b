/**
 * pinpipe consume-stream: the log → clean → join by ind → the realtime metrics per minute → real-time views,
 * effectively once. The role's logic lives in src/pipeline/stream; this only wires config,
 * connectors and output.
 */
import type { CommandContext } from './context.js';
import { createLog, createRealtime, createStore } from '../connectors/registry.js';
import { loadMetrics } from '../metrics/registry.js';
import { summaryLine } from '../pipeline/stream/monitor.js';
import { runStream } from '../pipeline/stream/runner.js';

export interface ConsumeStreamOptions {
  untilIdle?: boolean;
}

export async function run(opts: ConsumeStreamOptions, ctx: CommandContext): Promise<number> {
  const metrics = await loadMetrics(ctx.config);
  const log = await createLog(ctx.config);
  const realtime = await createRealtime(ctx.config);
  const store = await createStore(ctx.config);
  try {
    const { stats } = await runStream(ctx.config, log, realtime, store, {
      metrics,
      untilIdle: Boolean(opts.untilIdle),
      signal: ctx.signal,
      logger: ctx.logger,
      tty: ctx.tty && Boolean(process.stderr.isTTY),
    });
    ctx.logger.info('done', stats.summary());
    ctx.out(summaryLine(stats));
    return 0;
  } finally {
    await realtime.close();
    await store.close();
  }
}
