/**
 * `pinpipe verify`: for every final window, the stream's rows of each realtime metric (the serving
 * store's rt_* table, written by consume-stream once a window is final) against the batch layer's
 * (batch_*, recomputed by batch-run from the raw zone). Compared: windows that are final in the
 * stream (start + 1 min + joinWindow <= the checkpoint's watermark), that the stream computed with
 * the current definition (from its `stream_from` on) and whose day batch-run computed with it.
 * Doubles are equal within a relative 1e-9 (sums of doubles depend on the order of addition).
 */
import type { RealtimeStore } from '../connectors/realtime/types.js';
import type { ServingStore } from '../connectors/store/types.js';
import type { Row } from '../core/tables.js';
import { addDays, isoMs, minuteOf } from '../core/time.js';
import type { RealtimeMetric } from './registry.js';
import { readCatalog, readRuns } from './state.js';

export interface RowDiff {
  minute: string;
  key: Record<string, string>;
  stream: Record<string, number | null> | null;
  batch: Record<string, number | null> | null;
}

export interface MetricVerdict {
  metric: string;
  /** what was compared: [from, to) of window starts, per day */
  days: string[];
  windows: number;
  rows: number;
  differences: RowDiff[];
  /** why some or all windows were not compared */
  notes: string[];
}

export interface VerifyResult {
  /** the stream's watermark (ISO), null when it has no checkpoint */
  watermark: string | null;
  metrics: MetricVerdict[];
  differences: number;
}

export const TOLERANCE = 1e-9;

export function sameValue(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  if (a === b) return true;
  return Math.abs(a - b) <= TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/** Compare two sets of rows of a metric (already restricted to the same windows). Pure. */
export function compareRows(
  metric: Pick<RealtimeMetric, 'keyColumns' | 'valueColumns'>,
  stream: Row[],
  batch: Row[],
): { windows: number; rows: number; differences: RowDiff[] } {
  const keyOf = (r: Row) => JSON.stringify([r.minute, ...metric.keyColumns.map((k) => r[k] ?? '')]);
  const values = (r: Row) =>
    Object.fromEntries(metric.valueColumns.map((c) => [c, r[c] === null || r[c] === undefined ? null : Number(r[c])])) as Record<string, number | null>;
  const s = new Map(stream.map((r) => [keyOf(r), r]));
  const b = new Map(batch.map((r) => [keyOf(r), r]));
  const differences: RowDiff[] = [];
  const windows = new Set<string>();
  const all = new Set([...s.keys(), ...b.keys()]);
  for (const k of all) {
    const sr = s.get(k);
    const br = b.get(k);
    const any = (sr ?? br)!;
    windows.add(String(any.minute));
    const sv = sr ? values(sr) : null;
    const bv = br ? values(br) : null;
    const equal = sv && bv && metric.valueColumns.every((c) => sameValue(sv[c]!, bv[c]!));
    if (!equal)
      differences.push({ minute: String(any.minute), key: Object.fromEntries(metric.keyColumns.map((c) => [c, String(any[c] ?? '')])), stream: sv, batch: bv });
  }
  differences.sort((x, y) => (x.minute < y.minute ? -1 : x.minute > y.minute ? 1 : JSON.stringify(x.key) < JSON.stringify(y.key) ? -1 : 1));
  return { windows: windows.size, rows: all.size, differences };
}

export interface VerifyOptions {
  from?: string;
  to?: string;
  group: string;
  joinWindow: number;
}

export async function verify(store: ServingStore, realtime: RealtimeStore, metrics: RealtimeMetric[], opts: VerifyOptions): Promise<VerifyResult> {
  const checkpoint = await realtime.loadCheckpoint(opts.group);
  const result: VerifyResult = { watermark: checkpoint ? isoMs(checkpoint.watermark) : null, metrics: [], differences: 0 };
  const catalog = await readCatalog(store);
  const runs = await readRuns(store);
  // windows before this start are final in the stream
  const finalTo = checkpoint ? minuteOf(checkpoint.watermark - opts.joinWindow) : null;
  for (const m of metrics) {
    const v: MetricVerdict = { metric: m.id, days: [], windows: 0, rows: 0, differences: [], notes: [] };
    result.metrics.push(v);
    const entry = catalog.get(m.id);
    if (finalTo === null) {
      v.notes.push(`consume-stream (group ${opts.group}) has no checkpoint: no window is final yet`);
      continue;
    }
    if (entry?.streamHash !== m.hash) {
      v.notes.push('consume-stream has not computed this definition yet (start it to pick the metric up)');
      continue;
    }
    const streamFrom = entry.streamFrom ? Date.parse(entry.streamFrom) : -Infinity;
    const batchDays = runs
      .filter((r) => r.metric === m.id && r.hash === m.hash && r.day !== '' && (!opts.from || r.day >= opts.from) && (!opts.to || r.day <= opts.to))
      .map((r) => r.day)
      .sort();
    const stale = runs.filter((r) => r.metric === m.id && r.hash !== m.hash).length;
    if (!batchDays.length)
      v.notes.push(
        `batch-run has not computed ${m.id}${opts.from || opts.to ? ' for these days' : ''} yet${stale ? ' with this definition' : ''} (run pinpipe batch-run)`,
      );
    for (const day of batchDays) {
      const dayFrom = Date.parse(`${day}T00:00:00Z`);
      const from = Math.max(dayFrom, streamFrom);
      const to = Math.min(Date.parse(`${addDays(day, 1)}T00:00:00Z`), finalTo);
      if (from >= to) continue;
      const range = { column: 'minute', from: isoMs(from), to: isoMs(to) };
      const cmp = compareRows(m, await store.select(m.spec, undefined, range), await store.select(m.batchSpec, undefined, range));
      v.days.push(day);
      v.windows += cmp.windows;
      v.rows += cmp.rows;
      v.differences.push(...cmp.differences);
    }
    if (
      entry.streamFrom &&
      batchDays.some(
        (d) => Date.parse(`${addDays(d, 1)}T00:00:00Z`) > Date.parse(entry.streamFrom!) && Date.parse(`${d}T00:00:00Z`) < Date.parse(entry.streamFrom!),
      )
    ) {
      v.notes.push(`the stream computes this definition from ${entry.streamFrom}; earlier windows have batch results only`);
    }
    result.differences += v.differences.length;
  }
  return result;
}
