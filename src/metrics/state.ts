/**
 * What the stores hold of each metric (tables METRIC_CATALOG and METRIC_RUNS of core/tables.ts):
 * the definition hash the stream computes and since when, and what batch-run computed, per day for
 * realtime metrics and once (day '') for historical ones. A new or changed definition is one whose
 * hash differs from the stored one: the stream starts it afresh, batch-run backfills it.
 */
import type { RealtimeStore, WindowRow } from '../connectors/realtime/types.js';
import type { ServingStore } from '../connectors/store/types.js';
import { METRIC_CATALOG, METRIC_RUNS, type Row } from '../core/tables.js';
import { minuteOf } from '../core/time.js';
import { toPlain, type PlainRow } from '../engine/values.js';
import type { Metric, MetricSet, RealtimeMetric } from './registry.js';

export interface CatalogEntry {
  metric: string;
  hash: string | null;
  streamHash: string | null;
  /** the first window the stream computed with streamHash (ISO); null: from the start of the log */
  streamFrom: string | null;
}

export async function readCatalog(store: ServingStore): Promise<Map<string, CatalogEntry>> {
  const rows = await store.select(METRIC_CATALOG);
  return new Map(rows.map((r) => [String(r.metric), { metric: String(r.metric), hash: (r.hash as string) ?? null, streamHash: (r.stream_hash as string) ?? null, streamFrom: (r.stream_from as string) ?? null }]));
}

const catalogRow = (m: Metric): Row => ({ metric: m.id, kind: m.kind, title: m.title, hash: m.hash, table_name: m.table, file: m.file, updated_at: Date.now() });

/**
 * consume-stream at start: a realtime metric whose definition is new or changed since the stream
 * last computed it starts at the first window still open at the checkpoint's watermark (every
 * record of those windows is replayed); a changed one loses its old windows first. Returns the
 * metrics that start now.
 */
export async function startStreamMetrics(
  store: ServingStore,
  realtime: RealtimeStore,
  metrics: MetricSet,
  opts: { watermark: number | null; joinWindow: number },
): Promise<{ metric: RealtimeMetric; from: string | null; changed: boolean }[]> {
  const catalog = await readCatalog(store);
  const started: { metric: RealtimeMetric; from: string | null; changed: boolean }[] = [];
  // the first window not final at the watermark: start + 1 min + joinWindow > watermark
  // (a checkpoint taken before any record was seen holds the smallest instant: from the start)
  const first = opts.watermark === null ? NaN : minuteOf(opts.watermark - opts.joinWindow);
  const from = Number.isFinite(new Date(first).getTime()) ? new Date(first).toISOString() : null;
  for (const m of metrics.realtime) {
    const entry = catalog.get(m.id);
    if (entry?.streamHash === m.hash) continue;
    const changed = Boolean(entry?.streamHash);
    if (changed) {
      await realtime.reset(m.id);
      await store.replace(m.spec, []);
    }
    await store.upsert(METRIC_CATALOG, [{ ...catalogRow(m), stream_hash: m.hash, stream_from: from }]);
    started.push({ metric: m, from, changed });
  }
  return started;
}

export interface MetricRun {
  metric: string;
  day: string;
  hash: string;
  rows: number;
  computedAt: string;
  seconds: number;
}

export async function readRuns(store: ServingStore): Promise<MetricRun[]> {
  return (await store.select(METRIC_RUNS)).map((r) => ({
    metric: String(r.metric),
    day: String(r.day ?? ''),
    hash: String(r.hash ?? ''),
    rows: Number(r.rows ?? 0),
    computedAt: String(r.computed_at ?? ''),
    seconds: Number(r.seconds ?? 0),
  }));
}

/** batch-run computed a metric (for a day of the raw zone; '' for a historical metric) */
export async function recordRuns(store: ServingStore, runs: { metric: Metric; day: string; rows: number; seconds: number }[]): Promise<void> {
  if (!runs.length) return;
  const now = Date.now();
  await store.upsert(METRIC_RUNS, runs.map((r) => ({ metric: r.metric.id, day: r.day, hash: r.metric.hash, rows: r.rows, computed_at: now, seconds: r.seconds })));
  const seen = new Map(runs.map((r) => [r.metric.id, r.metric]));
  await store.upsert(METRIC_CATALOG, [...seen.values()].map(catalogRow));
}

/** A metric as listed by `pinpipe metrics list` and the dashboard's /api/metrics. */
export interface MetricListing {
  id: string;
  title: string;
  kind: string;
  file: string;
  builtin: boolean;
  /** when batch-run last computed the current definition */
  last_computed: string | null;
  rows: number | null;
  /** realtime: the first window the stream computed with the current definition */
  stream_from: string | null;
}

export function listMetrics(set: MetricSet, runs: MetricRun[], catalog: Map<string, CatalogEntry>): MetricListing[] {
  return set.all.map((m) => {
    const mine = runs.filter((r) => r.metric === m.id && r.hash === m.hash);
    const last = mine.reduce<string | null>((a, r) => (a === null || r.computedAt > a ? r.computedAt : a), null);
    const entry = catalog.get(m.id);
    return {
      id: m.id,
      title: m.title,
      kind: m.kind,
      file: m.file,
      builtin: m.builtin,
      last_computed: last,
      rows: mine.length ? mine.reduce((n, r) => n + r.rows, 0) : null,
      stream_from: m.kind === 'realtime' && entry?.streamHash === m.hash ? (entry.streamFrom ?? 'start of the log') : null,
    };
  });
}

/** a window of a realtime metric as a row of its columns (minute, key columns, values, final) */
export function windowRow(metric: RealtimeMetric, w: WindowRow): PlainRow {
  const row: PlainRow = { minute: w.minute };
  const keys = metric.keyColumns.length > 1 ? (JSON.parse(w.key) as string[]) : [w.key];
  metric.keyColumns.forEach((c, i) => (row[c] = keys[i] ?? ''));
  for (const c of metric.valueColumns) row[c] = toPlain(w.values[c] ?? null);
  row.final = w.final;
  return row;
}
