/**
 * pinpipe consume-batch: the log → the raw zone of the lake, exactly once.
 * The role's logic lives in src/pipeline/batch-writer; this only wires config, connectors and output.
 */
import type { CommandContext } from './context.js';
import { createLake, createLog } from '../connectors/registry.js';
import { runBatchWriter } from '../pipeline/batch-writer/runner.js';
import { summaryLine } from '../pipeline/batch-writer/progress.js';

export interface ConsumeBatchOptions {
  untilIdle?: boolean;
}

export async function run(opts: ConsumeBatchOptions, ctx: CommandContext): Promise<number> {
  const log = await createLog(ctx.config);
  const lake = await createLake(ctx.config);
  try {
    const { stats } = await runBatchWriter(ctx.config, log, lake, {
      untilIdle: Boolean(opts.untilIdle),
      signal: ctx.signal,
      logger: ctx.logger,
      tty: ctx.tty && Boolean(process.stderr.isTTY),
    });
    ctx.logger.info('done', stats.summary());
    ctx.out(summaryLine(stats));
    return 0;
  } finally {
    await lake.close();
  }
}
