/**
 * batch-run: choose the days, process each (day.ts), then recompute Q1–Q8 over every curated day,
 * and keep the ledger (`batch_runs`): running → done, or failed with the reason. A failed day
 * leaves its previous results in place; re-running a day replaces its results.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../core/config.js';
import { errorMessage } from '../../core/errors.js';
import { holdExclusive } from '../../core/lockfile.js';
import type { Logger } from '../../core/logger.js';
import { LEDGER, type HistoricalId } from '../../core/tables.js';
import type { Lake } from '../../connectors/lake/types.js';
import type { ServingStore } from '../../connectors/store/types.js';
import { openEngine } from '../../engine/duckdb.js';
import { checkSelection, listRawDays, selectDays, type DaySelection } from './days.js';
import { processDay, storeDay, type DayResult } from './day.js';
import { computeHistorical, storeHistorical } from './historical.js';

export interface BatchDeps {
  cfg: Config;
  lake: Lake;
  store: ServingStore;
  logger: Logger;
}

export interface BatchOptions extends DaySelection {
  /** staging worker threads (0 = none; default: the machine's cores) */
  workers?: number;
  signal?: AbortSignal;
  onProgress?: (text: string) => void;
}

export interface DaySummary extends Partial<DayResult> {
  day: string;
  status: 'done' | 'failed';
  seconds: number;
  message?: string;
}

export interface BatchSummary {
  days: DaySummary[];
  raw_records: number;
  curated_rows: number;
  dead: number;
  failed: number;
  /** rows per historical table, when Q1–Q8 were recomputed */
  historical: Partial<Record<HistoricalId, number>>;
  seconds: number;
}

const iso = (ms = Date.now()) => new Date(ms).toISOString();
const secs = (ms: number) => Math.round(ms) / 1000;

function doneMessage(r: DayResult): string {
  const reasons = Object.entries(r.dead_reasons).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${k} (${n})`);
  return `dead ${r.dead}${reasons.length ? `: ${reasons.join('; ')}` : ''}; unmatched geo ${r.unmatched_geo}, user ${r.unmatched_user}`.slice(0, 1000);
}

export async function runBatch(deps: BatchDeps, opts: BatchOptions = {}): Promise<BatchSummary> {
  const t0 = performance.now();
  const { cfg, lake, store, logger } = deps;
  const sel = checkSelection(opts);
  const summary: BatchSummary = { days: [], raw_records: 0, curated_rows: 0, dead: 0, failed: 0, historical: {}, seconds: 0 };
  mkdirSync(cfg.dataDir, { recursive: true });
  const release = holdExclusive(path.join(cfg.dataDir, 'batch-run.lock'), 'batch-run');
  try {
    await store.connect();
    const done = new Set((await store.select(LEDGER, { status: 'done' })).map((r) => String(r.day)));
    // --date names its day: no need to list the whole raw zone
    const raw = sel.date ? { days: [], complete: { pin: new Set<string>(), geo: new Set<string>(), user: new Set<string>() } } : await listRawDays(lake);
    const days = selectDays(sel, raw, done);
    if (days.length === 0) return summary;

    // rows keep the staging order (deterministic, see pool.ts) into the curated files: no sort needed
    const engine = await openEngine(cfg, { insertionOrder: true });
    mkdirSync(path.join(cfg.dataDir, 'tmp'), { recursive: true });
    const tmpDir = await mkdtemp(path.join(cfg.dataDir, 'tmp', 'batch-'));
    const ok: { result: DayResult; started: string; t: number; stored: Promise<void> }[] = [];
    // Store operations run one at a time and in order, while the engine goes on with the next day
    // or Q1–Q8 (a day's store rows are written while the engine computes).
    let chain: Promise<unknown> = Promise.resolve();
    const inStore = <T>(fn: () => Promise<T>): Promise<T> => {
      const p = chain.then(fn);
      chain = p.catch(() => undefined);
      return p;
    };
    const fail = async (result: DayResult | { day: string }, t: number, message: string) => {
      await inStore(() => store.upsert(LEDGER, [{ day: result.day, status: 'failed', finished_at: iso(), message }]));
      summary.days.push({ ...result, status: 'failed', seconds: secs(t), message });
    };
    try {
      for (const day of days) {
        if (opts.signal?.aborted) break;
        const started = iso();
        const t = performance.now();
        await inStore(() => store.upsert(LEDGER, [{ day, status: 'running', started_at: started, finished_at: null, raw_records: null, curated_rows: null, message: null }]));
        try {
          const { result, rows } = await processDay({ cfg, lake, engine, logger, tmpDir, workers: opts.workers, onProgress: opts.onProgress }, day);
          const stored = inStore(() => storeDay(store, day, rows));
          stored.catch(() => undefined); // awaited below
          ok.push({ result, started, t: performance.now() - t, stored });
          logger.info(`curated ${day}`, { raw_records: result.raw_records, curated_rows: result.curated_rows, dead: result.dead });
        } catch (e) {
          const message = errorMessage(e);
          logger.error(`batch-run of ${day} failed`, { error: message });
          await fail({ day }, performance.now() - t, message);
        }
      }
      if (ok.length) {
        opts.onProgress?.('Q1–Q8 over every curated day');
        try {
          const th = performance.now();
          const hist = await computeHistorical(engine, lake, tmpDir);
          await inStore(() => storeHistorical(store, hist));
          logger.debug('Q1–Q8 computed and stored', { seconds: Math.round(performance.now() - th) / 1000 });
          for (const [id, rows] of Object.entries(hist)) summary.historical[id as HistoricalId] = rows.length;
        } catch (e) {
          const message = `historical metrics failed: ${errorMessage(e)}`;
          logger.error(message);
          for (const { result, t, stored } of ok.splice(0)) {
            await stored.catch(() => undefined);
            await fail(result, t, message);
          }
        }
      }
      for (const { result, started, t, stored } of ok) {
        try {
          await stored;
        } catch (e) {
          const message = `storing the day's rows failed: ${errorMessage(e)}`;
          logger.error(message, { day: result.day });
          await fail(result, t, message);
          continue;
        }
        const message = doneMessage(result);
        await inStore(() => store.upsert(LEDGER, [{ day: result.day, status: 'done', started_at: started, finished_at: iso(), raw_records: result.raw_records, curated_rows: result.curated_rows, message }]));
        summary.days.push({ ...result, status: 'done', seconds: secs(t), message });
      }
    } finally {
      await chain;
      engine.close();
      await rm(tmpDir, { recursive: true, force: true });
    }
  } finally {
    release();
    summary.days.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
    for (const d of summary.days) {
      summary.raw_records += d.raw_records ?? 0;
      summary.curated_rows += d.curated_rows ?? 0;
      summary.dead += d.dead ?? 0;
      if (d.status === 'failed') summary.failed++;
    }
    summary.seconds = secs(performance.now() - t0);
  }
  return summary;
}
