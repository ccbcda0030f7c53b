/**
 * `pinpipe query --metric ID --source lake`: a metric computed now from the lake with the same
 * SQL as batch-run. Q1–Q8 read the current postings that batch-run published while they still
 * match the curated day files (src/engine/current.ts), else the curated views; R1–R5 clean the
 * whole raw zone with the same staging as batch-run (all days at once, so windows and joins span
 * day boundaries freely).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../core/config.js';
import { TOPICS } from '../../core/records.js';
import { HISTORICAL, REALTIME_BATCH, type MetricId } from '../../core/tables.js';
import type { Lake } from '../../connectors/lake/types.js';
import { openEngine, sqlString } from '../../engine/duckdb.js';
import type { Result } from '../../engine/format.js';
import { currentPostingsFile, readCurrent } from '../../engine/current.js';
import { HISTORICAL_SQL, historicalSql, isHistorical, realtimeSql } from '../../engine/metrics/index.js';
import { openLakeEngine } from '../../engine/query.js';
import { DEDUP, REPEATED, dropStaged, loadStaged } from './curate.js';
import { stageAll } from './pool.js';
import type { StageTask } from './stage.js';

export async function metricFromLake(cfg: Config, lake: Lake, id: MetricId, opts: { workers?: number } = {}): Promise<Result> {
  if (isHistorical(id)) {
    const engine = await openLakeEngine(cfg, lake, { raw: false });
    try {
      // the current postings that batch-run published, while they still match the day files
      const curatedDir = await lake.localDir('curated/');
      const postings = currentPostingsFile(curatedDir, readCurrent(curatedDir));
      const sql = postings ? historicalSql(id, `read_parquet(${sqlString(postings)}, hive_partitioning = false)`) : HISTORICAL_SQL[id];
      return { columns: HISTORICAL[id].columns.map(([c]) => c), rows: await engine.all(sql) };
    } finally {
      engine.close();
    }
  }
  const tasks: StageTask[] = [];
  for (const topic of TOPICS) {
    const prefix = `raw/${topic}/`;
    const objs = (await lake.list(prefix)).filter((o) => o.key.endsWith('.ndjson.gz'));
    if (objs.length === 0) continue;
    const dir = await lake.localDir(prefix);
    for (const o of objs) tasks.push({ topic, file: path.join(dir, ...o.key.slice(prefix.length).split('/')), count: true });
  }
  await mkdir(path.join(cfg.dataDir, 'tmp'), { recursive: true });
  const tmp = await mkdtemp(path.join(cfg.dataDir, 'tmp', 'metric-'));
  const engine = await openEngine(cfg);
  try {
    const staged = await stageAll(tasks, tmp, { workers: opts.workers });
    await loadStaged(engine, staged.files);
    const rows = await engine.all(realtimeSql(id, { ...DEDUP, joinWindowMs: cfg.stream.joinWindow, repeated: REPEATED }));
    await dropStaged(engine);
    return { columns: REALTIME_BATCH[id].columns.map(([c]) => c), rows };
  } finally {
    engine.close();
    await rm(tmp, { recursive: true, force: true });
  }
}
