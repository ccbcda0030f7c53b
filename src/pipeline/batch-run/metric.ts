/**
 * `pinpipe query --metric ID --source lake`: a metric computed now from the lake with the same SQL
 * as batch-run. A historical metric reads the current postings that batch-run published while they
 * still match the curated day files and hold the columns it reads (src/engine/current.ts), else the
 * curated views; a realtime metric cleans the whole raw zone as batch-run does (load.ts; all days
 * at once, so windows and joins span day boundaries freely).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../core/config.js';
import { TOPICS } from '../../core/records.js';
import type { Lake } from '../../connectors/lake/types.js';
import { openEngine, sqlString } from '../../engine/duckdb.js';
import type { Result } from '../../engine/format.js';
import { currentPostingsFile, readCurrent } from '../../engine/current.js';
import { openLakeEngine } from '../../engine/query.js';
import type { PlainRow } from '../../engine/values.js';
import type { Metric } from '../../metrics/registry.js';
import { DEDUP, REPEATED, computeRealtimeRange, dedupTopic, dropStaged } from './curate.js';
import { storeRow } from './historical.js';
import { loadTopic } from './load.js';
import type { StageTask } from './stage.js';

export async function metricFromLake(cfg: Config, lake: Lake, metric: Metric, opts: { workers?: number } = {}): Promise<Result> {
  const columns = metric.columns.map(([c]) => c);
  if (metric.kind === 'historical') {
    const engine = await openLakeEngine(cfg, lake, { raw: false });
    try {
      // the current postings that batch-run published, while they still match the day files
      const curatedDir = await lake.localDir('curated/');
      const postings = currentPostingsFile(curatedDir, readCurrent(curatedDir), metric.reads);
      if (postings) await engine.run(`CREATE OR REPLACE TEMP VIEW postings AS SELECT * FROM read_parquet(${sqlString(postings)}, hive_partitioning = false)`);
      return { columns, rows: (await engine.all(metric.sql)).map((r) => storeRow(metric, r) as PlainRow) };
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
    for (const topic of TOPICS) {
      await loadTopic(engine, topic, tasks, tmp, { workers: opts.workers, columns: metric.plan.columns[topic] });
      await dedupTopic(engine, topic, metric.plan.columns[topic]);
    }
    const rt = await computeRealtimeRange(engine, { ...DEDUP, joinWindowMs: cfg.stream.joinWindow, repeated: REPEATED }, [metric], { dropUnread: true });
    await dropStaged(engine);
    return { columns, rows: rt.results[0]!.rows as PlainRow[] };
  } finally {
    engine.close();
    await rm(tmp, { recursive: true, force: true });
  }
}
