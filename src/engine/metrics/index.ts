/** Metric ids of the data contract and where each one's SQL and store table live. */
import { PinpipeError } from '../../core/errors.js';
import { HISTORICAL, METRIC_IDS, REALTIME, REALTIME_BATCH, type HistoricalId, type MetricId, type RealtimeId, type TableSpec } from '../../core/tables.js';

export { HISTORICAL_SQL, POSTINGS_SELECT, historicalSql } from './historical.js';
export { pinMatchesSql, realtimeSql, unmatchedSql, type RealtimeInputs } from './realtime.js';

export const HISTORICAL_IDS = Object.keys(HISTORICAL) as HistoricalId[];
export const REALTIME_IDS = Object.keys(REALTIME) as RealtimeId[];

export const isHistorical = (id: MetricId): id is HistoricalId => id in HISTORICAL;

/** A metric id typed by a user (case-insensitive: q1, Q3A, r5) → its canonical id. */
export function parseMetricId(text: string): MetricId {
  const found = METRIC_IDS.find((id) => id.toLowerCase() === text.trim().toLowerCase());
  if (!found) throw new PinpipeError('QUERY_INVALID', `unknown metric ${JSON.stringify(text)}: valid ids are ${METRIC_IDS.join(', ')}`);
  return found;
}

/** The store table a metric is written to by batch-run (historical, or the batch_* R tables). */
export function batchTable(id: MetricId): TableSpec {
  return isHistorical(id) ? HISTORICAL[id] : REALTIME_BATCH[id];
}
