/**
 * `pinpipe up`: every role at once on one machine — api, emulate at a modest rate, consume-batch,
 * consume-stream, and batch-run on a schedule — with a live summary, until Ctrl-C or --duration,
 * then a clean drain (emulator first, then the api, then the consumers flush and commit, then a
 * last batch run). The roles are the real subcommands, run as child processes.
 */
import path from 'node:path';
import type { CommandContext } from './context.js';
import { loadMetrics } from '../metrics/registry.js';
import { PinpipeError } from '../core/errors.js';
import { assertPortFree } from '../core/bind.js';
import { dayOf } from '../core/time.js';
import { sleep } from '../core/retry.js';
import { createLog, createRealtime, createStore } from '../connectors/registry.js';
import { startRole, stopRole, type Role } from '../up/roles.js';
import { formatSnapshot, redrawPanel, SummaryReader, type Snapshot } from '../up/summary.js';
import { startDashboard } from '../up/dashboard.js';

export interface UpOptions {
  port: number;
  /** false with --no-dashboard */
  dashboard: boolean;
  dashboardPort: number;
  duration?: number;
  rate: number;
  batchEvery: number;
  seed: number;
}

export async function run(opts: UpOptions, ctx: CommandContext): Promise<number> {
  const { config, logger } = ctx;
  if (opts.duration !== undefined && !(opts.duration > 0)) throw new PinpipeError('USAGE', '--duration must be a positive number of seconds');
  if (!(opts.batchEvery >= 5)) throw new PinpipeError('USAGE', '--batch-every must be at least 5 seconds');
  // before any role starts: a port in use would have the roles run against another process's API
  await assertPortFree(opts.port, config.api.host, 'up --port');
  const base = { dataDir: config.dataDir, configFile: ctx.configFile };
  // every role reads the same metric files (a --metrics-dir given to up, too)
  if (config.metrics.dir) process.env.PINPIPE_METRICS_DIR = path.resolve(config.metrics.dir);
  const api = `http://127.0.0.1:${opts.port}`;
  const started = Date.now();
  const roles: Role[] = [];

  // The log's topics exist before any role starts (consumers subscribe to them).
  const log = await createLog(config);
  const admin = log.admin();
  await admin.ensureTopics(['pin', 'geo', 'user', 'deadletter'].map((t) => config.log.topicPrefix + t));
  await admin.close();

  roles.push(startRole('api', ['api', '--port', String(opts.port)], base));
  await waitForApi(api, roles[0]!, ctx.signal);
  // For a live demo, raw chunks close every 10 s of record time (unless configured otherwise), so
  // that the scheduled batch runs have data to curate within the first minute.
  const demoChunks = process.env.PINPIPE_BATCH_CHUNK_SPAN ? {} : { PINPIPE_BATCH_CHUNK_SPAN: '10s' };
  roles.push(startRole('consume-batch', ['consume-batch'], { ...base, env: demoChunks }));
  roles.push(startRole('consume-stream', ['consume-stream'], base));
  roles.push(startRole('emulate', ['emulate', '--api', api, '--count', '0', '--rate', String(opts.rate), '--seed', String(opts.seed)], base));
  const dashboard = opts.dashboard ? await startDashboard(config.dashboard.host, opts.dashboardPort, base) : null;
  if (dashboard) roles.push(dashboard.role);
  logger.info(`all roles started; logs in ${config.dataDir}/logs; API at ${api}${dashboard ? `; dashboard at ${dashboard.url() ?? '(starting)'}` : ''}`);

  const realtime = await createRealtime(config);
  const store = await createStore(config);
  await realtime.connect((await loadMetrics(config)).realtime);
  await store.connect();
  const reader = new SummaryReader(config, log, realtime, store);
  const until = opts.duration ? started + opts.duration * 1000 : Infinity;
  let nextBatch = started + opts.batchEvery * 1000;
  let batch: Role | null = null;
  let lines = 0;
  let lastLine = started;
  let last: Snapshot | null = null;

  while (!ctx.signal.aborted && Date.now() < until) {
    await sleep(Math.min(1000, Math.max(0, until - Date.now())), ctx.signal);
    const dead = roles.find((r) => r.child.exitCode !== null && r.name !== 'emulate' && r.name !== 'dashboard');
    if (dead) {
      logger.error(`${dead.name} exited with code ${dead.child.exitCode}; see ${dead.logFile}`);
      break;
    }
    if (!batch && Date.now() >= nextBatch) {
      batch = startRole('batch-run', ['batch-run', '--date', dayOf(Date.now())], base);
      void batch.exited.then(() => {
        batch = null;
        nextBatch = Date.now() + opts.batchEvery * 1000;
      });
    }
    last = await reader.read();
    const width = ctx.tty ? Math.max(40, (process.stderr.columns || 80) - 1) : 200;
    const text = formatSnapshot(last, roles.map((r) => ({ name: r.name, up: r.child.exitCode === null })), (Date.now() - started) / 1000, width, dashboard?.line(config.dataDir));
    if (ctx.tty) {
      process.stderr.write(redrawPanel(text, lines));
      lines = text.length;
    } else if (Date.now() - lastLine >= 5000) {
      lastLine = Date.now();
      logger.info(text.join(' | ').replace(/\s+/g, ' '));
    }
  }

  logger.info('draining: emulator, api, consumers, then a last batch run');
  const codes: Record<string, number> = {};
  for (const name of ['emulate', 'dashboard', 'api', 'consume-batch', 'consume-stream']) {
    const role = roles.find((r) => r.name === name);
    if (role) codes[name] = await stopRole(role);
  }
  if (batch) codes['batch-run'] = await (batch as Role).exited;
  const final = startRole('batch-run', ['batch-run', '--date', dayOf(Date.now())], base);
  codes['batch-run (final)'] = await final.exited;
  last = await reader.read();
  await reader.close();
  await realtime.close();
  await store.close();
  ctx.out(formatSnapshot(last, [], (Date.now() - started) / 1000).slice(1).join('\n') + '\n');
  const failed = Object.entries(codes).filter(([name, code]) => code !== 0 && !(name === 'emulate' && code === 1) && name !== 'dashboard');
  if (codes.dashboard) logger.warn(`the dashboard stopped with code ${codes.dashboard} (the pipeline is not affected); see ${config.dataDir}/logs/dashboard.log`);
  for (const [name, code] of failed) logger.error(`${name} exited with code ${code}; see ${config.dataDir}/logs/${name.split(' ')[0]}.log`);
  return failed.length ? 1 : 0;
}

async function waitForApi(url: string, role: Role, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !signal.aborted) {
    if (role.child.exitCode !== null) throw new PinpipeError('INTERNAL', `the api exited with code ${role.child.exitCode}; see ${role.logFile}`);
    try {
      const res = await fetch(`${url}/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  if (!signal.aborted) throw new PinpipeError('NOT_READY', `the api did not become ready at ${url} within 20 s; see ${role.logFile}`);
}

