/**
 * `pinpipe emulate`: post user postings to the API like the seed's user_posting_emulation.py,
 * from the built-in generator or the seed's MySQL tables (--source), or load the generated data
 * set into MySQL (--load-source). Exit 0 when every record was accepted, 1 otherwise.
 */
import { randomBytes } from 'node:crypto';
import type { CommandContext } from './context.js';
import { PinpipeError } from '../core/errors.js';
import type { Source } from '../connectors/source/types.js';
import { GeneratorSource } from '../connectors/source/generator.js';
import { Emulator } from '../emulate/runner.js';
import { ProgressLine, progressLine, summaryJson, summaryText } from '../emulate/report.js';

export interface EmulateFlags {
  api: string;
  count: number;
  rate: number;
  seed: number;
  concurrency: number;
  bulk: number;
  rows: number;
  source?: string;
  loadSource?: string;
  json?: boolean;
  runId?: string;
}

function check(opts: EmulateFlags, maxBulkRecords: number): void {
  const bad = (flag: string, rule: string, v: unknown) => new PinpipeError('USAGE', `${flag} ${rule}, got ${JSON.stringify(v)}`);
  if (!(Number.isSafeInteger(opts.count) && opts.count >= 0)) throw bad('--count', 'must be an integer >= 0 (0 = until stopped)', opts.count);
  if (!(Number.isFinite(opts.rate) && opts.rate >= 0)) throw bad('--rate', 'must be a number >= 0 (0 = as fast as possible)', opts.rate);
  if (!(Number.isSafeInteger(opts.concurrency) && opts.concurrency >= 1 && opts.concurrency <= 1024)) throw bad('--concurrency', 'must be an integer from 1 to 1024', opts.concurrency);
  if (!(Number.isSafeInteger(opts.rows) && opts.rows >= 1)) throw bad('--rows', 'must be an integer >= 1', opts.rows);
  if (!Number.isSafeInteger(opts.seed)) throw bad('--seed', 'must be an integer', opts.seed);
  const maxBulk = Math.floor(maxBulkRecords / 3);
  if (!(Number.isSafeInteger(opts.bulk) && opts.bulk >= 0 && opts.bulk <= maxBulk)) throw bad('--bulk', `must be an integer from 0 to ${maxBulk} (3 records per posting, api.maxBulkRecords ${maxBulkRecords})`, opts.bulk);
  if (opts.runId !== undefined && !/^[A-Za-z0-9._-]{1,40}$/.test(opts.runId)) throw bad('--run-id', 'must be 1–40 letters, digits, ".", "_" or "-"', opts.runId);
  if (opts.source && opts.loadSource) throw new PinpipeError('USAGE', '--source and --load-source cannot be used together');
}

export async function run(opts: EmulateFlags, ctx: CommandContext): Promise<number> {
  const { config, logger } = ctx;
  check(opts, config.api.maxBulkRecords);
  const progress = new ProgressLine((s) => process.stderr.write(s), Boolean(process.stderr.isTTY));

  if (opts.loadSource) {
    const { loadGeneratedData } = await import('../connectors/source/mysql-load.js');
    const t0 = Date.now();
    let done = 0;
    progress.start(() => `loading: ${done} / ${opts.rows} rows`);
    const { rows } = await loadGeneratedData(opts.loadSource, { seed: opts.seed, rows: opts.rows }, (n) => (done = n)).finally(() => progress.stop());
    const seconds = (Date.now() - t0) / 1000;
    ctx.out(opts.json ? JSON.stringify({ loaded: rows, seed: opts.seed, seconds }) + '\n' : `loaded ${rows} rows (seed ${opts.seed}) into pinterest_data, geolocation_data, user_data in ${seconds.toFixed(1)} s\n`);
    return 0;
  }

  let source: Source;
  if (opts.source) source = new (await import('../connectors/source/mysql.js')).MysqlSource(opts.source);
  else source = new GeneratorSource({ seed: opts.seed, rows: opts.rows });
  const runId = opts.runId ?? randomBytes(4).toString('hex');
  const emulator = new Emulator({
    api: opts.api,
    source,
    count: opts.count,
    rate: opts.rate,
    seed: opts.seed,
    runId,
    concurrency: opts.concurrency,
    bulk: opts.bulk,
    apiKey: config.api.apiKey,
    signal: ctx.signal,
    onReject: (what, a) => logger.warn(`rejected ${what}: HTTP ${a.status}`, { body: a.body.slice(0, 500) }),
    onFirstFailure: (reason) => logger.warn(`a request to the API failed: ${reason}; retrying with backoff (up to 8 times per request)`),
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
