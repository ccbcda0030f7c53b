/**
 * pinpipe consume-batch: the log → the raw zone of the lake, exactly once.
 * The role's logic lives in src/pipeline/batch-writer; this only wires config, connectors and output.
 */
import { z } from 'zod';
import type { CommandContext } from './context.js';
import { COMMON, defineCommand, flag, text } from './options.js';
import { open } from '../connectors/open.js';
import { runBatchWriter } from '../pipeline/batch-writer/runner.js';
import { summaryLine } from '../pipeline/batch-writer/progress.js';

/** --group is a setting (batch.group) */
const options = z.strictObject({ ...COMMON, untilIdle: flag, group: text });

export const command = defineCommand(options, run);

async function run(opts: z.output<typeof options>, ctx: CommandContext): Promise<number> {
  await using c = await open(ctx.config, { log: true, lake: true });
  const { stats } = await runBatchWriter(ctx.config, c.log, c.lake, {
    untilIdle: Boolean(opts.untilIdle),
    signal: ctx.signal,
    logger: ctx.logger,
    tty: ctx.tty && Boolean(process.stderr.isTTY),
  });
  ctx.logger.info('done', stats.summary());
  ctx.out(summaryLine(stats));
  return 0;
}
