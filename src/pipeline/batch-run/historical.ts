/** Q1–Q8 over every curated day (the lake's curated views) → the serving store, whole tables. */
import { HISTORICAL, type HistoricalId, type Row } from '../../core/tables.js';
import type { Lake } from '../../connectors/lake/types.js';
import type { ServingStore } from '../../connectors/store/types.js';
import type { Engine } from '../../engine/duckdb.js';
import { HISTORICAL_SQL } from '../../engine/metrics/index.js';
import { lakeDirs, registerLakeViews } from '../../engine/views.js';

export async function computeHistorical(engine: Engine, lake: Lake): Promise<Record<HistoricalId, Row[]>> {
  await registerLakeViews(engine, await lakeDirs(lake), { curatedTables: true });
  try {
    const out = {} as Record<HistoricalId, Row[]>;
    for (const id of Object.keys(HISTORICAL) as HistoricalId[]) out[id] = (await engine.all(HISTORICAL_SQL[id])) as Row[];
    return out;
  } finally {
    for (const t of ['pins', 'geo', 'users']) await engine.run(`DROP TABLE IF EXISTS ${t}`);
  }
}

export async function storeHistorical(store: ServingStore, results: Record<HistoricalId, Row[]>): Promise<void> {
  for (const id of Object.keys(HISTORICAL) as HistoricalId[]) await store.replace(HISTORICAL[id], results[id]);
}
