/** One day of batch-run: load and clean → de-duplicate → curated Parquet + realtime metric windows → lake (and rows for the store). */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { TOPICS, type RecordType } from '../../core/records.js';
import { addDays } from '../../core/time.js';
import { QUALITY, type Row } from '../../core/tables.js';
import type { Lake } from '../../connectors/lake/types.js';
import type { ServingStore } from '../../connectors/store/types.js';
import { CURRENT_KEY } from '../../engine/current.js';
import type { Engine } from '../../engine/duckdb.js';
import type { RealtimeMetric } from '../../metrics/registry.js';
import { computeRealtime, dedupTopic, dropStaged, publishCurated, writeCurated, type CuratedFile, type RealtimeResult } from './curate.js';
import { marginPrefixes } from './days.js';
import { loadTopic } from './load.js';
import { addCounts, emptyCounts, type StageTask } from './stage.js';

export interface DayDeps {
  cfg: Config;
  lake: Lake;
  engine: Engine;
  logger: Logger;
  /** scratch directory of this run */
  tmpDir: string;
  /** worker threads of clean.ts for the lines the engine's SQL does not vouch for */
  workers?: number;
  onProgress?: (text: string) => void;
  /** the realtime metrics whose windows the day gets */
  realtime: RealtimeMetric[];
}

export interface DayResult {
  day: string;
  raw_records: number;
  curated_rows: number;
  dead: number;
  dead_reasons: Record<string, number>;
  quality_issues: Record<string, number>;
  unmatched_geo: number;
  unmatched_user: number;
}

/** Raw chunks under a prefix, as local files. */
async function chunksUnder(lake: Lake, prefix: string): Promise<{ file: string; size: number }[]> {
  const objs = (await lake.list(prefix)).filter((o) => o.key.endsWith('.ndjson.gz'));
  if (objs.length === 0) return [];
  const dir = await lake.localDir(prefix);
  return objs.map((o) => ({ file: path.join(dir, ...o.key.slice(prefix.length).split('/')), size: o.size }));
}

export async function dayTasks(lake: Lake, day: string, joinWindowMs: number): Promise<StageTask[]> {
  const tasks: (StageTask & { size: number })[] = [];
  for (const topic of TOPICS) {
    for (const c of await chunksUnder(lake, `raw/${topic}/dt=${day}/`)) tasks.push({ topic, ...c, count: true });
    for (const prefix of marginPrefixes(topic, day, joinWindowMs)) {
      for (const c of await chunksUnder(lake, prefix)) tasks.push({ topic, ...c, count: false });
    }
  }
  // big files first keeps the workers evenly busy; the order does not change the result
  tasks.sort((a, b) => b.size - a.size);
  return tasks.map(({ topic, file, count }) => ({ topic, file, count }));
}

/** The columns of a record type that the realtime metrics read. */
export function realtimeColumns(metrics: RealtimeMetric[], topic: RecordType): string[] {
  return [...new Set(metrics.flatMap((m) => m.plan.columns[topic]))];
}

/** A day's rows for the serving store: the windows of its minutes per realtime metric and its quality counts (null: unchanged). */
export interface DayRows {
  realtime: RealtimeResult[];
  quality: Row[] | null;
}

/** Replace the day's rows in the store (each replace is atomic). */
export async function storeDay(store: ServingStore, day: string, rows: DayRows): Promise<void> {
  const range = { column: 'minute', from: `${day}T00:00:00.000Z`, to: `${addDays(day, 1)}T00:00:00.000Z` };
  for (const r of rows.realtime) await store.replace(r.metric.batchSpec, r.rows, undefined, range);
  if (rows.quality) await store.replace(QUALITY, rows.quality, { day });
}

/**
 * Stage, curate and publish one day's curated files (the lake is committed first); returns the
 * day's figures and its store rows, which the caller writes with storeDay.
 */
export async function processDay(deps: DayDeps, day: string): Promise<{ result: DayResult; rows: DayRows }> {
  const { cfg, lake, engine } = deps;
  let t = performance.now();
  let cpu = process.cpuUsage();
  // phase timings (PINPIPE_LOG_LEVEL=debug): where a day's time goes (cpu: the whole process, every thread)
  const phase = (name: string) => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    deps.logger.debug(`${day}: ${name}`, { seconds: Math.round(now - t) / 1000, cpu_seconds: Math.round((used.user + used.system) / 1000) / 1000 });
    t = now;
    cpu = process.cpuUsage();
  };
  const dir = path.join(deps.tmpDir, day);
  await mkdir(dir, { recursive: true });
  try {
    const tasks = await dayTasks(lake, day, cfg.stream.joinWindow);
    // a topic at a time: its wide rows go to staged files, the engine keeps the columns the realtime metrics read
    const counts = emptyCounts();
    const curated: CuratedFile[] = [];
    const prepared: Promise<void>[] = [];
    for (const topic of TOPICS) {
      deps.onProgress?.(`${day}: cleaning and curating ${topic} (${tasks.filter((x) => x.topic === topic).length} raw chunks)`);
      const loaded = await loadTopic(engine, topic, tasks, dir, { workers: deps.workers });
      addCounts(counts, loaded.counts);
      phase(`${topic}: loaded and cleaned (clean.ts: ${loaded.js.chunks} chunks, ${loaded.js.lines} lines)`);
      await dedupTopic(engine, topic, realtimeColumns(deps.realtime, topic));
      const file = await writeCurated(engine, topic, day, dir, loaded);
      curated.push(file);
      // ready for the lake (local: its bytes to disk) while the engine goes on with the next topic
      prepared.push(lake.prepareFile(file.file));
      phase(`${topic}: de-duplicated and curated (${file.projected ? 'the staged file without its bookkeeping' : 'rows copied'})`);
    }
    deps.onProgress?.(`${day}: realtime metric windows`);
    const rt = await computeRealtime(engine, day, cfg.stream.joinWindow, deps.realtime);
    await dropStaged(engine);
    phase('realtime metrics');

    // commit: lake first (then the caller writes the store rows of the day)
    deps.onProgress?.(`${day}: writing the curated zone`);
    // the curated zone's current state no longer holds once a day file changes (historical.ts
    // publishes it again); readers rank every ind themselves meanwhile
    await lake.delete([CURRENT_KEY]);
    await Promise.all(prepared);
    await publishCurated(lake, curated);
    const quality: Row[] = Object.entries(counts.issues).map(([field, issues]) => ({ day, field, issues }));
    phase('published');
    const result: DayResult = {
      day,
      raw_records: counts.records,
      curated_rows: curated.reduce((n, f) => n + f.rows, 0),
      dead: counts.dead,
      dead_reasons: counts.reasons,
      quality_issues: counts.issues,
      unmatched_geo: rt.unmatchedGeo,
      unmatched_user: rt.unmatchedUser,
    };
    return { result, rows: { realtime: rt.results, quality } };
  } finally {
    await dropStaged(engine).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Backfill of realtime metrics on a day already curated: stage and de-duplicate its raw chunks
 * (with the neighbour margins) and compute only these metrics' windows; the curated zone and the
 * day's other results are left as they are.
 */
export async function dayMetrics(deps: DayDeps, day: string): Promise<DayRows> {
  const { cfg, lake, engine } = deps;
  const dir = path.join(deps.tmpDir, `${day}-metrics`);
  await mkdir(dir, { recursive: true });
  try {
    const tasks = await dayTasks(lake, day, cfg.stream.joinWindow);
    for (const topic of TOPICS) {
      deps.onProgress?.(`${day}: cleaning ${topic} (${deps.realtime.map((m) => m.id).join(', ')})`);
      const columns = realtimeColumns(deps.realtime, topic);
      await loadTopic(engine, topic, tasks, dir, { workers: deps.workers, columns });
      await dedupTopic(engine, topic, columns);
    }
    const rt = await computeRealtime(engine, day, cfg.stream.joinWindow, deps.realtime);
    return { realtime: rt.results, quality: null };
  } finally {
    await dropStaged(engine).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}
