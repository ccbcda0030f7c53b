/**
 * The built-in metric definitions (src/metrics/builtin/*.sql), loaded once per test file, and the
 * stream processor's view of them. Tests that need a metric's table or SQL take it from here: the
 * metric files are the only definition.
 */
import os from 'node:os';
import { loadConfig } from '../../src/core/config.js';
import { loadMetrics, type HistoricalMetric, type MetricSet, type RealtimeMetric } from '../../src/metrics/registry.js';
import { streamMetrics, type StreamMetrics } from '../../src/metrics/realtime/stream.js';

let cached: Promise<MetricSet> | null = null;

/** the built-in metrics only (no user directory) */
export function builtinMetrics(): Promise<MetricSet> {
  cached ??= loadMetrics(loadConfig({ env: {}, flags: { dataDir: os.tmpdir() } }), { dir: null, cache: false });
  return cached;
}

export const BUILTIN: MetricSet = await builtinMetrics();
export const BUILTIN_STREAM: StreamMetrics = streamMetrics(BUILTIN);

export const historical = (id: string): HistoricalMetric => BUILTIN.get(id) as HistoricalMetric;
export const realtimeMetric = (id: string): RealtimeMetric => BUILTIN.get(id) as RealtimeMetric;
/** the built-in realtime metric ids, R1–R5 */
export const REALTIME_IDS = BUILTIN.realtime.map((m) => m.id);
export const HISTORICAL_IDS = BUILTIN.historical.map((m) => m.id);
