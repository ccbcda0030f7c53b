/**
 * The realtime metrics' windows of a day on Spark: the same plans as curate.ts computes on DuckDB
 * (src/metrics/realtime/sql.ts over the stream's join of src/engine/metrics/realtime.ts), printed
 * in Spark's dialect. The job (spark/pinpipe_batch.py) runs them over the day's de-duplicated
 * records, neighbour margins included (views d_pin, d_geo, d_user, the columns the plans read),
 * with the pin matches computed once per day (view pin_matches); its rows come back as DuckDB's do
 * and are stored as the DuckDB path stores them.
 */
import { TOPICS, type RecordType } from '../../core/records.js';
import { pinMatchesSql, unmatchedSql, type RealtimeInputs } from '../../engine/metrics/index.js';
import type { PlainRow } from '../../engine/values.js';
import { planSql } from '../../metrics/realtime/sql.js';
import type { RealtimeMetric } from '../../metrics/registry.js';
import { DEDUP, byWindowKey, realtimeRow, type DayRealtime } from './curate.js';
import { realtimeColumns } from './day.js';

/** what the job runs for one day's windows */
export interface SparkRealtimeDay {
  /** columns of each record type the plans read (besides ind, event_id, ingested_at) */
  columns: Record<RecordType, string[]>;
  pinMatches: string;
  metrics: { id: string; sql: string }[];
  unmatched: string;
}

/** The SQL of a day's windows in Spark's dialect (the pin matches over the day's minutes, then each plan and the unmatched counts). */
export function sparkRealtimeDay(day: string, joinWindowMs: number, metrics: RealtimeMetric[]): SparkRealtimeDay {
  const from = Date.parse(`${day}T00:00:00Z`);
  const inputs: RealtimeInputs = { ...DEDUP, joinWindowMs, from, to: from + 86_400_000, dialect: 'spark' };
  const joined = metrics.filter((m) => m.plan.trigger.startsWith('pin+'));
  const cols = {
    pin: [...new Set(joined.flatMap((m) => m.plan.columns.pin))],
    geo: [...new Set(joined.flatMap((m) => m.plan.columns.geo))],
    user: [...new Set(joined.flatMap((m) => m.plan.columns.user))],
  };
  return {
    columns: Object.fromEntries(TOPICS.map((t) => [t, realtimeColumns(metrics, t)])) as Record<RecordType, string[]>,
    pinMatches: pinMatchesSql(inputs, cols),
    metrics: metrics.map((m) => ({ id: m.id, sql: planSql(m.plan, inputs, 'pin_matches') })),
    unmatched: unmatchedSql(inputs, 'pin_matches'),
  };
}

/** what the job wrote for one day's windows */
export interface SparkRealtimeOut {
  metrics: Record<string, { rows: PlainRow[]; seconds: number }>;
  unmatched: { unmatched_geo: number; unmatched_user: number };
}

/** The job's rows of a day's windows → the stored rows, ordered as curate.ts orders them. */
export function sparkRealtimeResults(metrics: RealtimeMetric[], out: SparkRealtimeOut): DayRealtime {
  return {
    results: metrics.map((metric) => {
      const got = out.metrics[metric.id] ?? { rows: [], seconds: 0 };
      return { metric, rows: got.rows.map((r) => realtimeRow(metric, r)).sort(byWindowKey(metric)), seconds: got.seconds };
    }),
    unmatchedGeo: Number(out.unmatched.unmatched_geo ?? 0),
    unmatchedUser: Number(out.unmatched.unmatched_user ?? 0),
  };
}
