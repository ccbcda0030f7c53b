/**
 * What the dashboard shows, read from the stores by two loops and cached between them, so that any
 * number of open pages cost the stores nothing more:
 *   - live (every `pollMs`, default 300 ms): the realtime windows that changed (LiveWindows) →
 *     `window` events;
 *   - health (every `statusMs`, default 2 s): the status report (StatusReader, fed the live
 *     windows and checkpoint), the metric runs and catalog → `status` events, `batch` when a day's
 *     run finished, `metric` when batch-run recomputed a historical metric.
 * Historical tables are read when first asked for and again only after batch-run recomputed them.
 * Every read is one short store operation; a pause between two reads of a round lets writers
 * waiting for the embedded store's lock in.
 */
import type { WindowRow } from '../connectors/realtime/types.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { sleep } from '../core/retry.js';
import { isoMs } from '../core/time.js';
import type { PlainRow } from '../engine/values.js';
import type { HistoricalMetric, Metric, RealtimeMetric } from '../metrics/registry.js';
import { listMetrics, readCatalog, readRuns, windowRow, type CatalogEntry, type MetricListing, type MetricRun } from '../metrics/state.js';
import { StatusReader, type StatusSources, type StatusThresholds } from '../status/reader.js';
import type { LedgerDay, StatusReport } from '../status/types.js';
import { LiveWindows, type WindowChange } from './live.js';
import type { SseEvent } from './sse.js';

export interface DashboardDataOptions {
  pollMs?: number;
  statusMs?: number;
  /** list the raw zone (for pending days) at most this often */
  rawEveryMs?: number;
  thresholds?: StatusThresholds;
  logger: Logger;
}

/** a realtime metric's JSON: its windows as rows of its columns */
export interface RealtimePayload {
  id: string;
  kind: 'realtime';
  title: string;
  key_columns: string[];
  value_columns: string[];
  columns: { name: string; type: string }[];
  from: string;
  to: string | null;
  watermark: string | null;
  rows: PlainRow[];
}

export interface HistoricalPayload {
  id: string;
  kind: 'historical';
  title: string;
  keys: string[];
  columns: { name: string; type: string }[];
  /** when batch-run computed the stored rows (null: not computed with this definition yet) */
  computed_at: string | null;
  rows: PlainRow[];
}

const columnsOf = (m: Metric) => m.columns.map(([name, type]) => ({ name, type }));
/**
 * A pause between two store reads of one round: a writer of another process waiting for the
 * embedded store's lock retries at least every 20 ms, so it gets the lock within one read.
 */
const PAUSE_MS = 20;
/** the stream's watermark this far behind the clock: it is reading a backlog */
const CATCHING_UP_MS = 60_000;

export class DashboardData {
  readonly live: LiveWindows;
  private readonly status: StatusReader;
  private report: StatusReport | null = null;
  private runs: MetricRun[] = [];
  private catalog = new Map<string, CatalogEntry>();
  private ledger: Map<string, string> | null = null;
  private readonly tables = new Map<string, Promise<HistoricalPayload>>();
  private readonly listeners = new Set<(e: SseEvent) => void>();
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly warned = new Map<string, number>();

  constructor(
    private readonly src: StatusSources,
    private readonly opts: DashboardDataOptions,
  ) {
    this.live = new LiveWindows(src.realtime, src.metrics.realtime, { group: src.config.stream.group, joinWindowMs: src.config.stream.joinWindow, pause: () => sleep(PAUSE_MS) });
    this.status = new StatusReader(src, { thresholds: opts.thresholds, rawEveryMs: opts.rawEveryMs ?? 30_000, windows: () => this.live.latest(), pause: () => sleep(PAUSE_MS) });
  }

  onEvent(fn: (e: SseEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** the first reading of everything, then the loops */
  async start(): Promise<void> {
    await this.src.realtime.connect(this.src.metrics.realtime).catch((e) => this.warn('realtime', e));
    await this.pollLive();
    await this.pollHealth();
    this.loops = [this.loop(() => this.liveEvery(), () => this.pollLive()), this.loop(() => this.opts.statusMs ?? 2000, () => this.pollHealth())];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await this.status.close();
  }

  /** the events a new subscriber starts from: the status and every live metric's windows */
  initialEvents(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.report) out.push({ event: 'status', data: this.report });
    for (const m of this.src.metrics.realtime) out.push({ event: 'window', data: { metric: m.id, replace: true, rows: this.live.rows(m.id).map((w) => windowRow(m, w)) } });
    return out;
  }

  latestStatus(): StatusReport | null {
    return this.report;
  }

  /** GET /api/metrics */
  listing(): (MetricListing & Record<string, unknown>)[] {
    const listed = listMetrics(this.src.metrics, this.runs, this.catalog);
    return listed.map((l) => {
      const m = this.src.metrics.get(l.id);
      const shape = m.kind === 'realtime' ? { key_columns: m.keyColumns, value_columns: m.valueColumns } : { keys: m.keys };
      return { ...l, description: m.description ?? null, table: m.spec.name, ...shape, columns: columnsOf(m), href: `/api/metrics/${encodeURIComponent(m.id)}` };
    });
  }

  /** GET /api/metrics/:id (realtime: the kept hour, or [from, to) read from the store) */
  async metric(id: string, range: { from?: number; to?: number } = {}): Promise<RealtimePayload | HistoricalPayload> {
    const m = this.src.metrics.get(id);
    if (m.kind === 'historical') return this.historical(m);
    const wm = this.live.streamWatermark;
    const base = { id: m.id, kind: 'realtime' as const, title: m.title, key_columns: m.keyColumns, value_columns: m.valueColumns, columns: columnsOf(m), watermark: wm === null ? null : isoMs(wm) };
    if (range.from === undefined && range.to === undefined) {
      const rows = this.live.rows(m.id);
      return { ...base, from: isoMs(Date.now() - 3_600_000), to: null, rows: rows.map((w) => windowRow(m, w)) };
    }
    const from = isoMs(range.from ?? (range.to ?? Date.now()) - 3_600_000);
    const to = range.to === undefined ? undefined : isoMs(range.to);
    const rows: WindowRow[] = await this.src.realtime.read(m.id, { from, to });
    return { ...base, from, to: to ?? null, rows: rows.map((w) => windowRow(m, w)) };
  }

  private historical(m: HistoricalMetric): Promise<HistoricalPayload> {
    let p = this.tables.get(m.id);
    if (!p) {
      const computed = this.computedAt(m);
      p = (async (): Promise<HistoricalPayload> => {
        // a table whose current definition batch-run has not computed yet is not read (nor created)
        const rows = computed === null ? [] : ((await this.src.store.select(m.spec)) as PlainRow[]);
        return { id: m.id, kind: 'historical', title: m.title, keys: m.keys, columns: columnsOf(m), computed_at: computed, rows };
      })();
      p.catch(() => this.tables.delete(m.id));
      this.tables.set(m.id, p);
    }
    return p;
  }

  private computedAt(m: Metric): string | null {
    return this.runs.filter((r) => r.metric === m.id && r.hash === m.hash).reduce<string | null>((a, r) => (a === null || r.computedAt > a ? r.computedAt : a), null);
  }

  private async pollLive(): Promise<void> {
    let changes: WindowChange[];
    try {
      changes = await this.live.poll();
    } catch (e) {
      this.warn('realtime', e);
      return;
    }
    for (const c of changes) {
      const m = this.src.metrics.get(c.metric) as RealtimeMetric;
      this.emit({ event: 'window', data: { metric: c.metric, replace: c.replace, rows: c.rows.map((w) => windowRow(m, w)) } });
    }
  }

  private async pollHealth(): Promise<void> {
    try {
      this.report = await this.status.read();
      this.emit({ event: 'status', data: this.report });
      this.batchEvents(this.report.ledger.days);
    } catch (e) {
      this.warn('status', e);
    }
    try {
      await sleep(PAUSE_MS);
      const before = new Map(this.src.metrics.historical.map((m) => [m.id, this.computedAt(m)]));
      this.runs = await readRuns(this.src.store);
      await sleep(PAUSE_MS);
      this.catalog = await readCatalog(this.src.store);
      for (const m of this.src.metrics.historical) {
        const now = this.computedAt(m);
        if (now !== before.get(m.id)) {
          this.tables.delete(m.id);
          this.emit({ event: 'metric', data: { id: m.id, computed_at: now } });
        }
      }
    } catch (e) {
      this.warn('store', e);
    }
  }

  /** a `batch` event for each day whose run finished (done, partial or failed) since the last look */
  private batchEvents(days: LedgerDay[]): void {
    const first = this.ledger === null;
    const seen = (this.ledger ??= new Map());
    for (const d of days) {
      const sig = `${d.state}|${d.finished_at ?? ''}`;
      if (seen.get(d.day) === sig) continue;
      seen.set(d.day, sig);
      if (!first && d.finished_at && d.state !== 'running') this.emit({ event: 'batch', data: { day: d.day, state: d.state, finished_at: d.finished_at, message: d.message } });
    }
  }

  private emit(e: SseEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  /** run fn every `everyMs`, or less often when a round takes long (the store is busy): at most half the time in reads */
  /**
   * The live poll's period: `pollMs`, or 2 s while consume-stream is catching up (its watermark
   * more than a minute behind the clock: a backlog, where every poll finds changes and each read
   * would delay its commits; a chart need not move 3 times a second then).
   */
  private liveEvery(): number {
    const wm = this.live.streamWatermark;
    return wm !== null && Date.now() - wm > CATCHING_UP_MS ? 2000 : (this.opts.pollMs ?? 300);
  }

  private async loop(every: () => number, fn: () => Promise<void>): Promise<void> {
    while (!this.stopped) {
      const t = Date.now();
      await fn();
      const took = Date.now() - t;
      const wait = Math.max(every(), 2 * took) - took;
      for (let end = Date.now() + Math.max(wait, PAUSE_MS); !this.stopped && Date.now() < end; ) await sleep(Math.min(100, end - Date.now()));
    }
  }

  private warn(what: string, e: unknown): void {
    const now = Date.now();
    if (now - (this.warned.get(what) ?? 0) < 30_000) return;
    this.warned.set(what, now);
    this.opts.logger.warn(`dashboard: cannot read the ${what === 'store' ? 'serving store' : what === 'realtime' ? 'realtime store' : 'pipeline status'} (retrying)`, { error: errorMessage(e) });
  }
}
