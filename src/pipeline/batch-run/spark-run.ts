/**
 * batch-run --engine spark: the planned days, their realtime metrics' windows, the realtime
 * backfills of days already curated and the historical metrics in one Spark job (spark.ts,
 * spark-realtime.ts, spark/pinpipe_batch.py), then, only once it succeeded, the same commit as the
 * DuckDB path: the curated day files into the lake, the days' windows and quality counts and the
 * historical metrics into the store, the metric runs and the ledger. A failed job writes nothing: the lake, the store and the
 * ledger stay as they were, and the error (SPARK_FAILED, with Spark's cause) ends the run; a rerun
 * does the same work again.
 *
 * On an S3 lake the job reads the curated day files and writes its own through S3A, under the
 * run's staging prefix in the lake (spark-s3a.ts); the commit copies them into place in the store.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Lake } from '../../connectors/lake/types.js';
import type { S3Lake } from '../../connectors/lake/s3.js';
import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';
import { CURATED_TABLES } from '../../engine/schema.js';
import { BATCH_HISTORY, LEDGER, type Row } from '../../core/tables.js';
import { CURRENT_KEY } from '../../engine/current.js';
import type { RealtimeMetric } from '../../metrics/registry.js';
import { recordRuns } from '../../metrics/state.js';
import { storeDay } from './day.js';
import { storeHistorical, storeRow, type HistoricalResult } from './historical.js';
import type { Plan } from './plan.js';
import type { BatchDeps, BatchOptions, BatchSummary } from './runner.js';
import type { DayRealtime } from './curate.js';
import { localCurated, runSparkJob, stageDay, type CuratedFiles, type SparkSpec, type StagedDay } from './spark.js';
import { sparkRealtimeDay, sparkRealtimeResults } from './spark-realtime.js';
import { s3aJars, s3aSettings } from './spark-s3a.js';

/** the S3 lake, told by its kind (a type-only import: a batch-run on a local lake does not load the AWS SDK) */
const isS3 = (lake: Lake): lake is S3Lake => lake.kind === 's3';

const CURATED_PART = /^curated\/([a-z]+)\/dt=(\d{4}-\d{2}-\d{2})\/part-[^/]*\.parquet$/;

/** Where the job reads and writes the lake: the local directory (or the S3 cache), or S3 itself through S3A under the run's staging prefix. */
async function lakeAccess(
  cfg: Config,
  lake: Lake,
  days: string[],
  staging: string,
): Promise<Pick<SparkSpec, 'curated' | 'curatedOut' | 'hadoop' | 'classPath'>> {
  if (!isS3(lake)) return { curated: localCurated(await lake.localDir('curated/'), days) };
  const curated = Object.fromEntries(CURATED_TABLES.map((t) => [t, []])) as unknown as CuratedFiles;
  for (const o of await lake.list('curated/')) {
    const m = CURATED_PART.exec(o.key);
    if (m && m[1]! in curated && !days.includes(m[2]!)) curated[m[1] as keyof CuratedFiles].push({ dt: m[2]!, path: lake.s3aUri(o.key) });
  }
  return { curated, curatedOut: lake.s3aUri(`${staging}curated`), hadoop: s3aSettings(cfg), classPath: s3aJars(cfg) };
}

/**
 * batch.spark.stageInLake on an S3 lake: the staged files of the days go to the run's staging
 * prefix in the lake, and the job reads them through S3A (executors need no filesystem shared with
 * the CLI). The local files are removed once uploaded.
 */
async function stageInLake(lake: S3Lake, days: StagedDay[], tmpDir: string, staging: string): Promise<StagedDay[]> {
  const out: StagedDay[] = [];
  for (const d of days) {
    const files = { ...d.files };
    for (const topic of Object.keys(files) as (keyof StagedDay['files'])[]) {
      const uris: string[] = [];
      for (const file of files[topic]) {
        const key = `${staging}${path.relative(tmpDir, file).split(path.sep).join('/')}`;
        await lake.putFile(key, file);
        uris.push(lake.s3aUri(key));
      }
      files[topic] = uris;
    }
    out.push({ ...d, files });
  }
  return out;
}

/** publish a curated file the job wrote: a copy in the store (S3), or the local file's bytes */
async function publish(lake: Lake, file: string, key: string): Promise<void> {
  if (!isS3(lake) || !file.startsWith('s3a://')) return lake.put(key, await readFile(file));
  const prefix = lake.s3aUri('');
  if (!file.startsWith(prefix) || !(await lake.copy(file.slice(prefix.length), key)))
    throw new PinpipeError('SPARK_FAILED', `the Spark job's file ${file} is not in the lake (${prefix})`);
}

const iso = (ms = Date.now()) => new Date(ms).toISOString();
const secs = (ms: number) => Math.round(ms) / 1000;

/** the ledger's message of a day, as runner.ts writes it */
function doneMessage(d: StagedDay, rt: DayRealtime): string {
  const reasons = Object.entries(d.counts.reasons)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, n]) => `${k} (${n})`);
  return `dead ${d.counts.dead}${reasons.length ? `: ${reasons.join('; ')}` : ''}; unmatched geo ${rt.unmatchedGeo}, user ${rt.unmatchedUser}`.slice(0, 1000);
}

export async function runSparkBatch(deps: BatchDeps, plan: Plan, s: BatchSummary, opts: BatchOptions): Promise<void> {
  const { cfg, lake, store, logger } = deps;
  const realtime = deps.metrics.realtime;
  mkdirSync(path.join(cfg.dataDir, 'tmp'), { recursive: true });
  const tmpDir = await mkdtemp(path.join(cfg.dataDir, 'tmp', 'spark-'));
  // on an S3 lake, the job's curated output goes under this prefix of the lake first
  const staging = `tmp/${path.basename(tmpDir)}/`;
  try {
    const started = iso();
    const t0 = performance.now();
    let staged: StagedDay[] = [];
    const jw = cfg.stream.joinWindow;
    for (const d of plan.days) {
      if (opts.signal?.aborted) return;
      opts.onProgress?.(`${d.day}: cleaning the raw chunks for Spark`);
      const day = await stageDay(lake, d.day, jw, path.join(tmpDir, 'input', d.day), opts.workers);
      staged.push({ ...day, realtime: sparkRealtimeDay(d.day, jw, realtime) });
    }
    // realtime metrics new or changed (or --metric) on days already curated: their windows only
    let backfill: StagedDay[] = [];
    for (const b of plan.backfill) {
      if (opts.signal?.aborted) return;
      opts.onProgress?.(`${b.day}: cleaning the raw chunks for Spark (windows of ${b.metrics.map((m) => m.id).join(', ')})`);
      const day = await stageDay(lake, b.day, jw, path.join(tmpDir, 'backfill', b.day), opts.workers);
      backfill.push({ ...day, curate: false, realtime: sparkRealtimeDay(b.day, jw, b.metrics) });
    }
    if (isS3(lake) && cfg.batch.spark.stageInLake) {
      opts.onProgress?.(`uploading the cleaned records to the lake's ${staging}`);
      staged = await stageInLake(lake, staged, tmpDir, staging);
      backfill = await stageInLake(lake, backfill, tmpDir, staging);
    }
    const historical = plan.historical.map((h) => h.metric);
    opts.onProgress?.(
      `the Spark job on ${cfg.batch.spark.master}: ${staged.length} days, ${backfill.length} realtime backfills, ${historical.length} historical metrics`,
    );
    const tj = performance.now();
    const out = await runSparkJob(
      cfg,
      {
        days: [...staged, ...backfill],
        metrics: historical,
        postingsColumns: deps.metrics.postingsColumns,
        out: path.join(tmpDir, 'out'),
        // the day files the run replaces are not read (the backfilled days' are)
        ...(await lakeAccess(
          cfg,
          lake,
          staged.map((d) => d.day),
          staging,
        )),
      },
      opts.signal,
    );
    const jobSeconds = secs(performance.now() - tj);
    logger.info('the Spark job succeeded', { seconds: jobSeconds, days: staged.length, metrics: historical.length });

    // commit: the lake first (as day.ts), then the store, the metric runs and the ledger (as runner.ts)
    if (staged.length) {
      await lake.delete([CURRENT_KEY]);
      for (const c of out.curated) await publish(lake, c.file, `curated/${c.table}/dt=${c.day}/part-0.parquet`);
    }
    // a day's windows (and quality counts) into the store, then their metric runs, as day.ts stores them
    const storeWindows = async (day: string, metrics: RealtimeMetric[], quality: Row[] | null): Promise<DayRealtime> => {
      const rt = sparkRealtimeResults(metrics, out.realtime.get(day)!);
      await storeDay(store, day, { realtime: rt.results, quality });
      await recordRuns(
        store,
        rt.results.map((r) => ({ metric: r.metric, day, rows: r.rows.length, seconds: r.seconds })),
      );
      return rt;
    };
    const windows = new Map<string, DayRealtime>();
    for (const d of staged) {
      const quality: Row[] = Object.entries(d.counts.issues).map(([field, issues]) => ({ day: d.day, field, issues }));
      windows.set(d.day, await storeWindows(d.day, realtime, quality));
    }
    const backfilled = new Map<string, number>();
    for (const b of plan.backfill) {
      const rt = await storeWindows(b.day, b.metrics, null);
      for (const r of rt.results) backfilled.set(r.metric.id, (backfilled.get(r.metric.id) ?? 0) + r.rows.length);
    }
    for (const m of s.metrics) if (backfilled.has(m.id)) m.rows = backfilled.get(m.id);
    if (historical.length) {
      const results: HistoricalResult[] = historical.map((m) => ({
        metric: m,
        rows: (out.metrics.get(m.id) ?? []).map((r) => storeRow(m, r)),
        seconds: jobSeconds,
      }));
      await storeHistorical(store, results);
      await recordRuns(
        store,
        results.map((h) => ({ metric: h.metric, day: '', rows: h.rows.length, seconds: h.seconds })),
      );
      for (const h of results) s.historical[h.metric.id] = h.rows.length;
      for (const m of s.metrics) if (m.id in s.historical) m.rows = s.historical[m.id];
    }
    for (const d of staged) {
      const p = plan.days.find((x) => x.day === d.day)!;
      const curatedRows = out.curated.filter((c) => c.day === d.day).reduce((n, c) => n + c.rows, 0);
      const rt = windows.get(d.day)!;
      const message = doneMessage(d, rt);
      const t = performance.now() - t0;
      await store.upsert(LEDGER, [
        {
          day: d.day,
          status: 'done',
          started_at: started,
          finished_at: iso(),
          raw_records: d.counts.records,
          curated_rows: curatedRows,
          message,
          reason: p.reason,
          complete: p.complete,
          raw_objects: p.objects,
          raw_fingerprint: p.fingerprint,
        },
      ]);
      await store.upsert(BATCH_HISTORY, [
        { started_at: started, day: d.day, reason: p.reason, status: 'done', finished_at: iso(), seconds: secs(t), raw_records: d.counts.records, message },
      ]);
      s.days.push({
        day: d.day,
        status: 'done',
        reason: p.reason,
        seconds: secs(t),
        message,
        raw_records: d.counts.records,
        curated_rows: curatedRows,
        dead: d.counts.dead,
        dead_reasons: d.counts.reasons,
        quality_issues: d.counts.issues,
        unmatched_geo: rt.unmatchedGeo,
        unmatched_user: rt.unmatchedUser,
      });
    }
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
    // the run's staging prefix in the lake (S3); a failure to remove it must not hide the run's own outcome
    if (isS3(lake)) await lake.removeAll(staging).catch((e: unknown) => logger.warn(`cannot remove the lake's ${staging}: ${String(e)}`));
  }
}
