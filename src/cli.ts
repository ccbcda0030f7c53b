/**
 * The pinpipe command line: declares every subcommand and its flags; each command's code is
 * loaded only when it runs and checks its options with its own zod schema (src/commands/options.ts).
 * Commands throw; the one catch here turns errors into messages and exit codes (0 ok, 1 runtime
 * failure, 2 usage or configuration error).
 */
import { Command, CommanderError } from 'commander';
import { loadConfig, unknownEnvWarnings } from './core/config.js';
import { assertDataDir } from './core/data-dir.js';
import { createLogger } from './core/logger.js';
import { errorMessage, isPinpipeError, PinpipeError } from './core/errors.js';
import { rememberSecrets, scrubKnown, secretsIn } from './core/redact.js';
import type { CommandContext } from './commands/context.js';
import type { Command as PinpipeCommand } from './commands/options.js';

type Flags = Record<string, unknown>;
/** maps a command's flags to dotted config settings */
type FlagMap = Record<string, string>;

interface Spec {
  name: string;
  summary: string;
  example: string;
  options: (c: Command) => Command;
  flagsToConfig?: FlagMap;
  /** the command's module: its options schema and body (src/commands/options.ts defineCommand) */
  load: () => Promise<{ command: PinpipeCommand }>;
}

const int = (name: string) => (v: string) => {
  if (!/^-?\d+$/.test(v)) throw new PinpipeError('USAGE', `${name} must be an integer, got "${v}"`);
  return Number(v);
};
const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new PinpipeError('USAGE', `${name} must be a number, got "${v}"`);
  return n;
};

const SPECS: Spec[] = [
  {
    name: 'api',
    summary: 'HTTP ingestion API: POST /pin, /geo, /user and /bulk into the log',
    example: 'pinpipe api --port 8080',
    options: (c) => c.option('--host <host>', 'interface to bind (default 127.0.0.1)').option('--port <port>', 'port (default 8080)', int('--port')),
    flagsToConfig: { host: 'api.host', port: 'api.port' },
    load: () => import('./commands/api.js'),
  },
  {
    name: 'emulate',
    summary: "post user postings to the API, like the seed's user_posting_emulation.py",
    example: 'pinpipe emulate --api http://127.0.0.1:8080 --count 1000 --rate 50 --seed 42',
    options: (c) =>
      c
        .option('--api <url>', 'base URL of the pinpipe API', 'http://127.0.0.1:8080')
        .option('--count <n>', 'postings to send (0 = until stopped)', int('--count'), 100)
        .option('--rate <r>', 'postings per second (0 = as fast as possible)', num('--rate'), 10)
        .option('--seed <s>', 'random seed for the generator and the row picks', int('--seed'), 1)
        .option('--concurrency <n>', 'requests in flight at once', int('--concurrency'), 4)
        .option('--bulk <n>', 'send postings in bulk requests of n postings (0 = one request per record)', int('--bulk'), 0)
        .option(
          '--retries <n>',
          'times a request that failed (network error, 408, 429, 5xx) is retried with backoff before its records count as failed',
          int('--retries'),
          8,
        )
        .option('--rows <n>', 'rows in the generated data set', int('--rows'), 11_000)
        .option('--source <url>', "read rows from the seed's MySQL tables instead of the generator (mysql://...)")
        .option('--load-source <url>', "load the generated data set into MySQL tables like the seed's, then exit (mysql://...)")
        .option(
          '--run-id <id>',
          'part of every idempotency key (emu-<seed>-<run-id>-<step>-<type>); the same id re-sends the same events (default: random per run)',
        )
        .option('--json', 'print the summary as JSON'),
    load: () => import('./commands/emulate.js'),
  },
  {
    name: 'consume-batch',
    summary: 'log → raw zone of the lake, exactly once',
    example: 'pinpipe consume-batch --until-idle',
    options: (c) => c.option('--until-idle', 'exit once caught up with the log (for cron and tests)').option('--group <id>', 'consumer group'),
    flagsToConfig: { group: 'batch.group' },
    load: () => import('./commands/consume-batch.js'),
  },
  {
    name: 'consume-stream',
    summary: 'log → clean → join by ind → the realtime metrics per minute → real-time views',
    example: 'pinpipe consume-stream\n  pinpipe consume-stream --metrics-dir ./metrics --until-idle',
    options: (c) =>
      c
        .option('--metrics-dir <dir>', 'directory of metric files <id>.sql (env PINPIPE_METRICS_DIR; default ./metrics when it exists)')
        .option('--until-idle', 'exit once caught up with the log (for cron and tests)')
        .option('--group <id>', 'consumer group')
        .option('--lateness <duration>', 'allowed lateness (default 10s)')
        .option('--join-window <duration>', 'join window (default 30s)'),
    flagsToConfig: { group: 'stream.group', lateness: 'stream.lateness', joinWindow: 'stream.joinWindow', metricsDir: 'metrics.dir' },
    load: () => import('./commands/consume-stream.js'),
  },
  {
    name: 'batch-run',
    summary: 'clean, de-duplicate and curate the days that need it; compute every metric into the serving store',
    example:
      'pinpipe batch-run            # cron: new, completed and late-data days; new or changed metrics\n  pinpipe batch-run --dry-run  # what would run, and why\n  pinpipe batch-run --date 2026-11-27\n  pinpipe batch-run --from 2026-11-01 --to 2026-11-26\n  pinpipe batch-run --metric media_per_minute --from 2026-11-01',
    options: (c) =>
      c
        .option('--date <day>', 'process this day (YYYY-MM-DD) even if incomplete')
        .option('--from <day>', 'first day of a backfill (YYYY-MM-DD)')
        .option('--to <day>', 'last day of a backfill (YYYY-MM-DD)')
        .option(
          '--metric <id>',
          'compute only this metric (historical: over the curated zone; realtime: its windows for the days of the raw zone, or --date / --from / --to)',
        )
        .option('--dry-run', 'list what would be processed and why, and what is skipped and why; change nothing')
        .option('--json', 'print the run summary as JSON')
        .option('--metrics-dir <dir>', 'directory of metric files <id>.sql (env PINPIPE_METRICS_DIR; default ./metrics when it exists)')
        .option('--engine <engine>', 'duckdb (default) or spark (env PINPIPE_BATCH_ENGINE)')
        .option('--spark-master <url>', 'with --engine spark: local[*], spark://host:7077, yarn, k8s://... (env PINPIPE_SPARK_MASTER)'),
    flagsToConfig: { metricsDir: 'metrics.dir', engine: 'batch.engine', sparkMaster: 'batch.spark.master' },
    load: () => import('./commands/batch-run.js'),
  },
  {
    name: 'query',
    summary: 'read-only SQL over the lake (DuckDB), the serving store (--store), or a metric (--metric)',
    example:
      'pinpipe query "SELECT category, count(*) FROM pins GROUP BY 1 ORDER BY 2 DESC"\n  pinpipe query --metric Q1 --json\n  pinpipe query --store "SELECT * FROM batch_runs"\n  pinpipe query -f report.sql --csv > report.csv\n  pinpipe query --list',
    options: (c) =>
      c
        .argument('[sql]', 'a read-only SQL statement ("-", or none with piped input: read it from standard input)')
        .option('-f, --file <file>', 'read the SQL from a file ("-": standard input)')
        .option('--list', "list the lake views and the serving store's tables with their columns")
        .option('--store', 'run the SQL against the serving store instead of the lake')
        .option('--metric <id>', 'print a metric: Q1–Q8, Q3a, Q3b, R1–R5 or one of your metric files (pinpipe metrics list)')
        .option('--source <where>', 'with --metric: "store" (default: the stored views) or "lake" (compute now)')
        .option('--json', 'print an array of row objects')
        .option('--csv', 'print CSV')
        .option('--limit <n>', 'print at most n rows (stderr says when rows were cut)', int('--limit'))
        .option('--metrics-dir <dir>', 'directory of metric files <id>.sql (env PINPIPE_METRICS_DIR; default ./metrics when it exists)'),
    flagsToConfig: { metricsDir: 'metrics.dir' },
    load: () => import('./commands/query.js'),
  },
  {
    name: 'up',
    summary: 'every role at once on one machine, with a live summary and the dashboard (demo and newcomers)',
    example: 'pinpipe up --duration 60',
    options: (c) =>
      c
        .option('--port <port>', 'API port', int('--port'), 8080)
        .option('--dashboard-port <port>', 'dashboard port (its URL is printed)', int('--dashboard-port'), 8081)
        .option('--no-dashboard', 'do not start the dashboard')
        .option('--duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)', num('--duration'))
        .option('--rate <r>', 'emulated postings per second', num('--rate'), 20)
        .option('--batch-every <seconds>', 'run batch-run (for today) every n seconds', num('--batch-every'), 15)
        .option('--seed <s>', 'emulator seed', int('--seed'), 1)
        .option('--metrics-dir <dir>', 'directory of metric files <id>.sql (env PINPIPE_METRICS_DIR; default ./metrics when it exists)'),
    flagsToConfig: { metricsDir: 'metrics.dir' },
    load: () => import('./commands/up.js'),
  },
  {
    name: 'metrics',
    summary: 'the metric definitions: list, show ID, check (built-in and your metric files)',
    example:
      'pinpipe metrics list\n  pinpipe metrics show Q1\n  pinpipe metrics check --metrics-dir ./metrics   # for CI: exit 2 naming the file, line and reason',
    options: (c) =>
      c
        .argument('<action>', 'list | show | check')
        .argument('[id]', 'the metric (show)')
        .option('--json', 'print JSON')
        .option('--metrics-dir <dir>', 'directory of metric files <id>.sql (env PINPIPE_METRICS_DIR; default ./metrics when it exists)')
        .option(
          '--engine <engine>',
          'check: also for this batch engine, spark: the portable SQL subset, then Spark analyses each file (env PINPIPE_BATCH_ENGINE)',
        )
        .option('--spark-master <url>', 'with --engine spark: the master that analyses the files (default local[*])'),
    flagsToConfig: { metricsDir: 'metrics.dir', engine: 'batch.engine', sparkMaster: 'batch.spark.master' },
    load: () => import('./commands/metrics.js'),
  },
  {
    name: 'verify',
    summary: "compare the stream's final windows of every realtime metric with the batch layer's; exit 1 on a difference",
    example: 'pinpipe verify\n  pinpipe verify --from 2026-11-01 --to 2026-11-26 --metric R2 --json',
    options: (c) =>
      c
        .option('--from <day>', 'first day (YYYY-MM-DD)')
        .option('--to <day>', 'last day (YYYY-MM-DD)')
        .option('--metric <id>', 'one realtime metric')
        .option('--show <n>', 'differences printed per metric (default 20; --json lists all)', int('--show'))
        .option('--json', 'print the result as JSON')
        .option('--metrics-dir <dir>', 'directory of metric files <id>.sql (env PINPIPE_METRICS_DIR; default ./metrics when it exists)'),
    flagsToConfig: { metricsDir: 'metrics.dir' },
    load: () => import('./commands/verify.js'),
  },
  {
    name: 'status',
    summary: 'is the pipeline healthy? lag per group and partition, watermark, windows, days, batch runs, dead letters; exit 1 when not',
    example: 'pinpipe status\n  pinpipe status --json --max-lag 50000 --max-watermark-age 5m   # cron / monitoring: exit 1 when behind or a day failed',
    options: (c) =>
      c
        .option('--json', 'print the report as JSON (the dashboard serves the same object at /api/status)')
        .option('--max-lag <records>', 'a consumer group further behind than this is unhealthy (default 100000)', int('--max-lag'))
        .option('--max-watermark-age <duration>', "the stream's watermark may trail the clock this much while it has records to read (default 2m)")
        .option('--metrics-dir <dir>', 'directory of metric files <id>.sql (env PINPIPE_METRICS_DIR; default ./metrics when it exists)'),
    flagsToConfig: { metricsDir: 'metrics.dir' },
    load: () => import('./commands/status.js'),
  },
  {
    name: 'dashboard',
    summary: "a live web dashboard of every metric and of the pipeline's health, with JSON endpoints (read-only)",
    example:
      'pinpipe dashboard                      # http://127.0.0.1:8081\n  PINPIPE_DASHBOARD_KEY=... pinpipe dashboard --host 0.0.0.0   # beyond localhost only with an access key',
    options: (c) =>
      c
        .option('--host <host>', 'interface to bind (default 127.0.0.1; another needs an access key)')
        .option('--port <port>', 'port (default 8081; 0 picks a free one)', int('--port'))
        .option('--api-key <key>', 'access key (env PINPIPE_DASHBOARD_KEY; at least 16 characters)')
        .option('--metrics-dir <dir>', 'directory of metric files <id>.sql (env PINPIPE_METRICS_DIR; default ./metrics when it exists)'),
    flagsToConfig: { host: 'dashboard.host', port: 'dashboard.port', apiKey: 'dashboard.apiKey', metricsDir: 'metrics.dir' },
    load: () => import('./commands/dashboard.js'),
  },
];

export function buildProgram(onRun: (spec: Spec, args: unknown[], cmd: Command) => Promise<void>): Command {
  const program = new Command('pinpipe')
    .description(
      'A Lambda-architecture event pipeline for Pinterest-style postings.\nRuns on embedded defaults with zero set-up; the same code runs on Kafka, S3, MySQL and Redis.',
    )
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const spec of SPECS) {
    const cmd = program.command(spec.name).description(spec.summary);
    spec.options(cmd);
    cmd
      .option('--data-dir <dir>', 'data directory of the embedded stack (env PINPIPE_DATA_DIR, default ./.pinpipe)')
      .option('--config <file>', 'JSON config file (default config/pinpipe.json if present)')
      .addHelpText('after', `\nExample:\n  ${spec.example}\n`)
      .exitOverride()
      .action(async (...args: unknown[]) => onRun(spec, args, args[args.length - 1] as Command));
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  // secrets of the environment never reach an error message or a log line
  rememberSecrets(secretsIn(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('PINPIPE_') || k.startsWith('AWS_')))));
  const program = buildProgram(async (spec, args, cmd) => {
    const opts = cmd.opts() as Flags;
    // (an optional argument not given comes as undefined)
    const positional = args.slice(0, -2).filter((a) => a !== undefined);
    const flags: Flags = { dataDir: opts.dataDir };
    for (const [flag, setting] of Object.entries(spec.flagsToConfig ?? {})) flags[setting] = opts[flag];
    for (const w of unknownEnvWarnings(process.env)) process.stderr.write(`pinpipe: warning: ${w}\n`);
    const config = loadConfig({ configFile: opts.config as string | undefined, flags });
    rememberSecrets(secretsIn(config));
    assertDataDir(config.dataDir);
    const logger = createLogger({ component: spec.name });
    const controller = new AbortController();
    const stop = (sig: string) => {
      if (controller.signal.aborted) {
        logger.warn(`second ${sig}: exiting now`);
        process.exit(130);
      }
      logger.info(`${sig} received: draining`);
      controller.abort();
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    try {
      const mod = await spec.load();
      const ctx: CommandContext = {
        config,
        logger,
        signal: controller.signal,
        tty: Boolean(process.stdout.isTTY),
        out: (t) => process.stdout.write(t),
        configFile: opts.config as string | undefined,
      };
      code = await mod.command.run({ ...opts, args: positional }, ctx);
    } finally {
      // the command is over: a signal now ends the process (nothing is left to drain)
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isPinpipeError(e)) {
      process.stderr.write(scrubKnown(`pinpipe: ${e.code}: ${e.message}`) + '\n');
      return e.exitCode;
    }
    process.stderr.write(scrubKnown(`pinpipe: unexpected error: ${errorMessage(e)}\n${process.env.PINPIPE_DEBUG ? (e as Error).stack + '\n' : ''}`));
    return 1;
  }
}
