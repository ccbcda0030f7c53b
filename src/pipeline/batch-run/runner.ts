/**
 * batch-run: plan (plan.ts), process each day (day.ts), backfill the realtime metrics that curated
 * days lack, then compute the historical metrics over every curated day, and keep the ledger
 * (`batch_runs`: running → done, or failed with the reason; why each run happened) and its history.
 * A failed day leaves its previous results in place; re-running a day replaces its results.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../core/config.js';
import { errorMessage } from '../../core/errors.js';
import { holdExclusive } from '../../core/lockfile.js';
import type { Logger } from '../../core/logger.js';
import { BATCH_HISTORY, LEDGER } from '../../core/tables.js';
import type { Lake } from '../../connectors/lake/types.js';
import type { ServingStore } from '../../connectors/store/types.js';
import { openEngine } from '../../engine/duckdb.js';
import type { MetricSet } from '../../metrics/registry.js';
import { readRuns, recordRuns } from '../../metrics/state.js';
import { checkSelection, listRawDays, type DaySelection } from './days.js';
import { dayMetrics, processDay, storeDay, type DayResult } from './day.js';
import { computeHistorical, storeHistorical } from './historical.js';
import { planBatch, type LedgerDay, type Plan } from './plan.js';
import { runSparkBatch } from './spark-run.js';

export interface BatchDeps {
  cfg: Config;
  lake: Lake;
  store: ServingStore;
  logger: Logger;
  metrics: MetricSet;
}

export interface BatchOptions extends DaySelection {
  /** only this metric (historical: over the curated zone; realtime: its windows for the days) */
  metric?: string;
  /** plan only: what would be processed and why */
  dryRun?: boolean;
  /** staging worker threads (0 = none; default: the machine's cores) */
  workers?: number;
  signal?: AbortSignal;
  onProgress?: (text: string) => void;
}

export interface DaySummary extends Partial<DayResult> {
  day: string;
  status: 'done' | 'failed';
  reason: string;
  seconds: number;
  message?: string;
}

export interface BatchSummary {
  days: DaySummary[];
  /** days not processed, and why (incomplete, done) */
  skipped: { day: string; reason: string }[];
  /** metrics computed beyond the days' own (new or changed definitions, --metric), and why */
  metrics: { id: string; kind: 'historical' | 'realtime'; reason: string; days?: string[]; rows?: number }[];
  raw_records: number;
  curated_rows: number;
  dead: number;
  failed: number;
  /** rows per historical metric computed */
  historical: Record<string, number>;
  dry_run?: boolean;
  seconds: number;
}

const iso = (ms = Date.now()) => new Date(ms).toISOString();
const secs = (ms: number) => Math.round(ms) / 1000;

function doneMessage(r: DayResult): string {
  const reasons = Object.entries(r.dead_reasons)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, n]) => `${k} (${n})`);
  return `dead ${r.dead}${reasons.length ? `: ${reasons.join('; ')}` : ''}; unmatched geo ${r.unmatched_geo}, user ${r.unmatched_user}`.slice(0, 1000);
}

/** The ledger and the metric runs as the planner reads them. */
async function readState(store: ServingStore): Promise<{ ledger: Map<string, LedgerDay>; runs: Map<string, Map<string, string>> }> {
  const ledger = new Map<string, LedgerDay>();
  for (const r of await store.select(LEDGER))
    ledger.set(String(r.day), {
      status: String(r.status),
      complete: r.complete === null || r.complete === undefined ? null : r.complete === true,
      fingerprint: (r.raw_fingerprint as string | null) ?? null,
    });
  const runs = new Map<string, Map<string, string>>();
  for (const r of await readRuns(store)) {
    const m = runs.get(r.metric) ?? new Map<string, string>();
    m.set(r.day, r.hash);
    runs.set(r.metric, m);
  }
  return { ledger, runs };
}

export async function planRun(deps: BatchDeps, opts: BatchOptions): Promise<Plan> {
  const sel = checkSelection(opts);
  await deps.store.connect();
  const { ledger, runs } = await readState(deps.store);
  // --date names its day: no need to list the whole raw zone
  const raw = await listRawDays(deps.lake, sel.date ? [sel.date] : undefined);
  return planBatch({ sel: { ...sel, metric: opts.metric }, raw, ledger, runs, metrics: deps.metrics });
}

function emptySummary(plan: Plan): BatchSummary {
  return {
    days: [],
    skipped: plan.skipped,
    metrics: plan.metrics.map((m) => ({ ...m })),
    raw_records: 0,
    curated_rows: 0,
    dead: 0,
    failed: 0,
    historical: {},
    seconds: 0,
  };
}

export async function runBatch(deps: BatchDeps, opts: BatchOptions = {}): Promise<BatchSummary> {
  const t0 = performance.now();
  const { cfg, lake, store, logger, metrics } = deps;
  if (opts.metric) metrics.get(opts.metric); // unknown id: a usage error before anything else
  if (opts.dryRun) {
    const plan = await planRun(deps, opts);
    const s = emptySummary(plan);
    s.dry_run = true;
    s.days = plan.days.map((d) => ({ day: d.day, status: 'done', reason: d.reason, seconds: 0 }));
    s.seconds = secs(performance.now() - t0);
    return s;
  }
  mkdirSync(cfg.dataDir, { recursive: true });
  const release = holdExclusive(path.join(cfg.dataDir, 'batch-run.lock'), 'batch-run');
  let summary: BatchSummary | undefined;
  try {
    const plan = await planRun(deps, opts);
    summary = emptySummary(plan);
    if (plan.days.length === 0 && plan.backfill.length === 0 && plan.historical.length === 0) return summary;
    const s = summary;
    if (cfg.batch.engine === 'spark') {
      await runSparkBatch(deps, plan, s, opts);
      return summary;
    }

    const engine = await openEngine(cfg);
    mkdirSync(path.join(cfg.dataDir, 'tmp'), { recursive: true });
    const tmpDir = await mkdtemp(path.join(cfg.dataDir, 'tmp', 'batch-'));
    const ok: { result: DayResult; reason: string; started: string; t: number; stored: Promise<void> }[] = [];
    // Store operations run one at a time and in order, while the engine goes on with the next day
    // or the historical metrics (a day's store rows are written while the engine computes).
    let chain: Promise<unknown> = Promise.resolve();
    const inStore = <T>(fn: () => Promise<T>): Promise<T> => {
      const p = chain.then(fn);
      chain = p.catch(() => undefined);
      return p;
    };
    const history = (day: string, reason: string, started: string, status: string, t: number, message: string | null, rawRecords: number | null) =>
      inStore(() =>
        store.upsert(BATCH_HISTORY, [{ started_at: started, day, reason, status, finished_at: iso(), seconds: secs(t), raw_records: rawRecords, message }]),
      );
    const fail = async (result: DayResult | { day: string }, reason: string, started: string, t: number, message: string) => {
      await inStore(() => store.upsert(LEDGER, [{ day: result.day, status: 'failed', finished_at: iso(), message, reason }]));
      await history(result.day, reason, started, 'failed', t, message, null);
      s.days.push({ ...result, status: 'failed', reason, seconds: secs(t), message });
    };
    const dayDeps = { cfg, lake, engine, logger, tmpDir, workers: opts.workers, onProgress: opts.onProgress, realtime: metrics.realtime };
    try {
      for (const d of plan.days) {
        if (opts.signal?.aborted) break;
        const started = iso();
        const t = performance.now();
        await inStore(() =>
          store.upsert(LEDGER, [
            { day: d.day, status: 'running', started_at: started, finished_at: null, raw_records: null, curated_rows: null, message: null, reason: d.reason },
          ]),
        );
        try {
          const { result, rows } = await processDay(dayDeps, d.day);
          const stored = inStore(async () => {
            const ts = performance.now();
            await storeDay(store, d.day, rows);
            await recordRuns(
              store,
              rows.realtime.map((r) => ({ metric: r.metric, day: d.day, rows: r.rows.length, seconds: r.seconds })),
            );
            const n = rows.realtime.reduce((k, r) => k + r.rows.length, 0);
            logger.debug(`${d.day}: ${n} rows of the realtime metrics stored`, { seconds: Math.round(performance.now() - ts) / 1000 });
          });
          stored.catch(() => undefined); // awaited below
          ok.push({ result, reason: d.reason, started, t: performance.now() - t, stored });
          logger.info(`curated ${d.day}`, { reason: d.reason, raw_records: result.raw_records, curated_rows: result.curated_rows, dead: result.dead });
        } catch (e) {
          const message = errorMessage(e);
          logger.error(`batch-run of ${d.day} failed`, { error: message });
          await fail({ day: d.day }, d.reason, started, performance.now() - t, message);
        }
      }
      // realtime metrics new or changed (or --metric) on days already curated
      const backfilled = new Map<string, number>();
      for (const b of plan.backfill) {
        if (opts.signal?.aborted) break;
        try {
          const rows = await dayMetrics({ ...dayDeps, realtime: b.metrics }, b.day);
          await inStore(async () => {
            await storeDay(store, b.day, rows);
            await recordRuns(
              store,
              rows.realtime.map((r) => ({ metric: r.metric, day: b.day, rows: r.rows.length, seconds: r.seconds })),
            );
          });
          for (const r of rows.realtime) backfilled.set(r.metric.id, (backfilled.get(r.metric.id) ?? 0) + r.rows.length);
          logger.info(`windows of ${b.metrics.map((m) => m.id).join(', ')} for ${b.day}`, { rows: rows.realtime.reduce((n, r) => n + r.rows.length, 0) });
        } catch (e) {
          const message = `windows of ${b.metrics.map((m) => m.id).join(', ')} for ${b.day} failed: ${errorMessage(e)}`;
          logger.error(message);
          s.failed++;
          for (const m of s.metrics) if (b.metrics.some((x) => x.id === m.id)) m.reason += `; ${b.day} FAILED: ${errorMessage(e)}`;
        }
      }
      for (const m of s.metrics) if (backfilled.has(m.id)) m.rows = backfilled.get(m.id);
      if (plan.historical.length && !opts.signal?.aborted) {
        opts.onProgress?.(`historical metrics over every curated day`);
        try {
          const th = performance.now();
          const cpu = process.cpuUsage();
          const hist = await computeHistorical(
            engine,
            lake,
            tmpDir,
            plan.historical.map((h) => h.metric),
            metrics.postingsColumns,
          );
          await inStore(async () => {
            await storeHistorical(store, hist);
            await recordRuns(
              store,
              hist.map((h) => ({ metric: h.metric, day: '', rows: h.rows.length, seconds: h.seconds })),
            );
          });
          const used = process.cpuUsage(cpu);
          logger.debug('historical metrics computed and stored', {
            seconds: Math.round(performance.now() - th) / 1000,
            cpu_seconds: Math.round((used.user + used.system) / 1000) / 1000,
          });
          for (const h of hist) s.historical[h.metric.id] = h.rows.length;
          for (const m of s.metrics) if (m.id in s.historical) m.rows = s.historical[m.id];
        } catch (e) {
          const message = `historical metrics failed: ${errorMessage(e)}`;
          logger.error(message);
          if (!ok.length) s.failed++;
          for (const { result, reason, started, t, stored } of ok.splice(0)) {
            await stored.catch(() => undefined);
            await fail(result, reason, started, t, message);
          }
        }
      }
      for (const { result, reason, started, t, stored } of ok) {
        const d = plan.days.find((x) => x.day === result.day)!;
        try {
          await stored;
        } catch (e) {
          const message = `storing the day's rows failed: ${errorMessage(e)}`;
          logger.error(message, { day: result.day });
          await fail(result, reason, started, t, message);
          continue;
        }
        const message = doneMessage(result);
        await inStore(() =>
          store.upsert(LEDGER, [
            {
              day: result.day,
              status: 'done',
              started_at: started,
              finished_at: iso(),
              raw_records: result.raw_records,
              curated_rows: result.curated_rows,
              message,
              reason,
              complete: d.complete,
              raw_objects: d.objects,
              raw_fingerprint: d.fingerprint,
            },
          ]),
        );
        await history(result.day, reason, started, 'done', t, message, result.raw_records);
        s.days.push({ ...result, status: 'done', reason, seconds: secs(t), message });
      }
    } finally {
      await chain;
      engine.close();
      await rm(tmpDir, { recursive: true, force: true });
    }
  } finally {
    release();
    if (summary) {
      summary.days.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
      for (const d of summary.days) {
        summary.raw_records += d.raw_records ?? 0;
        summary.curated_rows += d.curated_rows ?? 0;
        summary.dead += d.dead ?? 0;
        if (d.status === 'failed') summary.failed++;
      }
      summary.seconds = secs(performance.now() - t0);
    }
  }
  return summary;
}
