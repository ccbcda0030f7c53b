/**
 * `pinpipe emulate`: post user postings to the API like the seed's user_posting_emulation.py,
 * from the built-in generator or the seed's MySQL tables (--source), or load the generated data
 * set into MySQL (--load-source). Exit 0 when every record was accepted, 1 otherwise.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CommandContext } from './context.js';
import { COMMON, defineCommand, flag, integer, number, text, usageCheck } from './options.js';
import { PinpipeError } from '../core/errors.js';
import { createSource } from '../connectors/registry.js';
import { Emulator } from '../emulate/runner.js';
import { ProgressLine, progressLine, summaryJson, summaryText } from '../emulate/report.js';

/** the flags (defaults in cli.ts); --bulk is bounded by the setting api.maxBulkRecords */
const options = (ctx: CommandContext) => {
  const maxBulk = Math.floor(ctx.config.api.maxBulkRecords / 3);
  return z
    .strictObject({
      ...COMMON,
      api: z.string(),
      count: integer('must be an integer >= 0 (0 = until stopped)', (n) => n >= 0),
      rate: number('must be a number >= 0 (0 = as fast as possible)', (n) => n >= 0),
      seed: integer('must be an integer'),
      concurrency: integer('must be an integer from 1 to 1024', (n) => n >= 1 && n <= 1024),
      retries: integer('must be an integer from 0 to 100', (n) => n >= 0 && n <= 100),
      bulk: integer(
        `must be an integer from 0 to ${maxBulk} (3 records per posting, api.maxBulkRecords ${ctx.config.api.maxBulkRecords})`,
        (n) => n >= 0 && n <= maxBulk,
      ),
      rows: integer('must be an integer >= 1', (n) => n >= 1),
      // URLs are checked by the source and the loader (their messages never show a password)
      source: text,
      loadSource: text,
      runId: z
        .string()
        .refine((v) => /^[A-Za-z0-9._-]{1,40}$/.test(v), 'must be 1–40 letters, digits, ".", "_" or "-"')
        .optional(),
      json: flag,
    })
    .superRefine(
      usageCheck((o) => {
        if (o.source && o.loadSource) throw new PinpipeError('USAGE', '--source and --load-source cannot be used together');
      }),
    );
};

export type EmulateFlags = z.output<ReturnType<typeof options>>;

export const command = defineCommand(options, run);

async function run(opts: EmulateFlags, ctx: CommandContext): Promise<number> {
  const { config, logger } = ctx;
  const progress = new ProgressLine((s) => process.stderr.write(s), Boolean(process.stderr.isTTY));

  if (opts.loadSource) {
    const { loadGeneratedData } = await import('../emulate/load-source.js');
    const t0 = Date.now();
    let done = 0;
    progress.start(() => `loading: ${done} / ${opts.rows} rows`);
    const { rows } = await loadGeneratedData(opts.loadSource, { seed: opts.seed, rows: opts.rows }, (n) => (done = n)).finally(() => progress.stop());
    const seconds = (Date.now() - t0) / 1000;
    ctx.out(
      opts.json
        ? JSON.stringify({ loaded: rows, seed: opts.seed, seconds }) + '\n'
        : `loaded ${rows} rows (seed ${opts.seed}) into pinterest_data, geolocation_data, user_data in ${seconds.toFixed(1)} s\n`,
    );
    return 0;
  }

  const source = await createSource(opts.source ? { kind: 'mysql', url: opts.source } : { kind: 'generator', seed: opts.seed, rows: opts.rows });
  const runId = opts.runId ?? randomBytes(4).toString('hex');
  const emulator = new Emulator({
    api: opts.api,
    source,
    count: opts.count,
    rate: opts.rate,
    seed: opts.seed,
    runId,
    concurrency: opts.concurrency,
    retries: opts.retries,
    bulk: opts.bulk,
    apiKey: config.api.apiKey,
    signal: ctx.signal,
    onReject: (what, a) => logger.warn(`rejected ${what}: HTTP ${a.status}`, { body: a.body.slice(0, 500) }),
    onFirstFailure: (reason) => logger.warn(`a request to the API failed: ${reason}; retrying with backoff (up to ${opts.retries} times per request)`),
  });
  await source.connect(); // after the Emulator checked --api, so a usage error leaves nothing open
  logger.info(`posting to ${opts.api}`, { source: source.kind, count: opts.count || 'until stopped', rate: opts.rate || 'max', run_id: runId });
  progress.start(() => progressLine(emulator.counters, emulator.elapsedSeconds()));
  let summary;
  try {
    summary = await emulator.run();
  } finally {
    progress.stop();
    await source.close();
  }
  ctx.out((opts.json ? summaryJson(summary) : summaryText(summary)) + '\n');
  return summary.failed === 0 && summary.rejected === 0 ? 0 : 1;
}
