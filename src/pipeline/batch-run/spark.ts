/**
 * batch-run on Apache Spark: the CLI side of the job in spark/pinpipe_batch.py. The raw lines are
 * cleaned here with clean.ts (the single definition of the rules) and staged as NDJSON; the job,
 * started with spark-submit, de-duplicates, writes the curated day files and computes the
 * historical metrics into a staging directory, and nothing else. The caller (spark-run.ts)
 * publishes and stores those outputs only after the job succeeded.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';
import { TOPICS, type RecordType } from '../../core/records.js';
import type { Lake } from '../../connectors/lake/types.js';
import { dayFilesOf } from '../../engine/current.js';
import { CURATED_COLUMNS, CURATED_TABLES, STAGE_COLUMNS, TABLE_OF, postingsSelect, type Columns, type CuratedTable } from '../../engine/schema.js';
import type { PlainRow } from '../../engine/values.js';
import type { HistoricalMetric } from '../../metrics/registry.js';
import { dayTasks } from './day.js';
import { stageAll } from './pool.js';
import type { SparkRealtimeDay, SparkRealtimeOut } from './spark-realtime.js';
import { s3aHint, servicesCacheDir } from './spark-s3a.js';
import { addCounts, emptyCounts, type StageCounts } from './stage.js';

/** the job, shipped with the package */
export const SPARK_JOB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../spark/pinpipe_batch.py');

/** DuckDB column types (schema.ts) → Spark SQL types; timestamps are TIMESTAMP_NTZ holding UTC, as DuckDB's TIMESTAMP */
const SPARK_TYPES: Record<string, string> = {
  BIGINT: 'bigint',
  INTEGER: 'int',
  VARCHAR: 'string',
  BOOLEAN: 'boolean',
  DOUBLE: 'double',
  TIMESTAMP: 'timestamp_ntz',
  'VARCHAR[]': 'array<string>',
  'DOUBLE[]': 'array<double>',
};

const sparkColumns = (cols: Columns): [string, string][] =>
  cols.map(([n, t]) => {
    const s = SPARK_TYPES[t];
    if (!s) throw new PinpipeError('INTERNAL', `no Spark type for ${t} (column ${n})`);
    return [n, s];
  });

export interface StagedDay {
  day: string;
  files: Record<RecordType, string[]>;
  /** the day's own chunks (not the neighbour margins), cleaned by clean.ts */
  counts: StageCounts;
  /** write the day's curated files (false: a day already curated, for its realtime windows only) */
  curate?: boolean;
  /** the realtime metrics' windows of the day to compute (spark-realtime.ts) */
  realtime?: SparkRealtimeDay;
}

/** Clean a day's raw chunks (with the neighbour margins the DuckDB path reads) into NDJSON files for the job (clean.ts, in worker threads). */
export async function stageDay(lake: Lake, day: string, joinWindowMs: number, dir: string, workers?: number): Promise<StagedDay> {
  const tasks = await dayTasks(lake, day, joinWindowMs);
  await mkdir(dir, { recursive: true });
  const staged = await stageAll(
    tasks.map((t) => ({ ...t, json: true })),
    dir,
    { workers },
  );
  const counts = emptyCounts();
  for (const topic of TOPICS) addCounts(counts, staged.counts[topic]);
  return { day, files: staged.files, counts };
}

/** spark-submit: the setting, else $SPARK_HOME's, else the pyspark venv of scripts/services.sh, else the PATH's */
export function sparkSubmitPath(cfg: Config): string {
  if (cfg.batch.spark.submit) return cfg.batch.spark.submit;
  if (process.env.SPARK_HOME) return path.join(process.env.SPARK_HOME, 'bin', 'spark-submit');
  const venv = path.join(servicesCacheDir(), 'spark-venv', 'bin', 'spark-submit');
  return existsSync(venv) ? venv : 'spark-submit';
}

/** curated day files by table: a path or a URI the job reads (s3a://) */
export type CuratedFiles = Record<CuratedTable, { dt: string; path: string }[]>;

export interface SparkSpec {
  days: StagedDay[];
  metrics: HistoricalMetric[];
  postingsColumns: string[];
  /** the lake's curated day files that the run does not replace (the job reads them for the current state) */
  curated: CuratedFiles;
  /** the job's local output directory (metric rows, _SUCCESS.json) */
  out: string;
  /** where the job writes the curated day files: default `<out>/curated`; an s3a:// URI on an S3 lake */
  curatedOut?: string;
  /** Hadoop settings of the job (S3A's), in the spec file, never on the command line */
  hadoop?: Record<string, string>;
  /** jars on the class path of the driver and the executors (S3A's) */
  classPath?: string[];
  /** metrics check --engine spark: only analyse the metrics over empty tables */
  check?: boolean;
  /** with `check`: the realtime metrics' Spark SQL to analyse too */
  checkRealtime?: SparkRealtimeDay;
}

/** The day files of a local copy of the curated zone, without those of the given days. */
export function localCurated(curatedDir: string, replaced: Iterable<string> = []): CuratedFiles {
  const skip = new Set(replaced);
  const out = {} as CuratedFiles;
  for (const table of CURATED_TABLES)
    out[table] = dayFilesOf(curatedDir, table)
      .map((f) => ({ dt: f.name.slice(3, 13), path: path.join(curatedDir, table, f.name) }))
      .filter((f) => !skip.has(f.dt));
  return out;
}

export interface SparkOutput {
  /** per day and table, the curated file the job wrote: a local path, or the s3a:// URI */
  curated: { day: string; table: CuratedTable; file: string; rows: number }[];
  metrics: Map<string, PlainRow[]>;
  /** per day, the realtime windows the job computed */
  realtime: Map<string, SparkRealtimeOut>;
  /** with `check`: the metrics Spark refuses, by id, with its reason */
  refused: Map<string, string>;
}

/** The spark-submit arguments (settings first, then the job and its spec). */
export function submitArgs(cfg: Config, specFile: string, classPath: string[] = []): string[] {
  const s = cfg.batch.spark;
  const user = s.conf ?? {};
  // the jars as local paths on the class path (no copy of them per application), after the user's own
  const paths = (key: string) => (classPath.length ? { [key]: [user[key], ...classPath].filter(Boolean).join(path.delimiter) } : {});
  const conf: Record<string, string> = {
    'spark.sql.session.timeZone': 'UTC',
    'spark.sql.ansi.enabled': 'true',
    'spark.sql.ansi.doubleQuotedIdentifiers': 'true',
    'spark.sql.parquet.outputTimestampType': 'TIMESTAMP_MICROS',
    'spark.ui.showConsoleProgress': 'false',
    'spark.task.maxFailures': '1',
    // few shuffle partitions: Spark's 200 make a small day slow (tasks of a few rows); raise it for big days in batch.spark.conf
    'spark.sql.shuffle.partitions': '8',
    ...user,
    ...paths('spark.driver.extraClassPath'),
    ...paths('spark.executor.extraClassPath'),
  };
  return [
    '--master',
    s.master,
    '--name',
    'pinpipe-batch',
    '--driver-memory',
    s.driverMemory,
    '--executor-memory',
    s.executorMemory,
    ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
    ...s.submitOptions,
    SPARK_JOB,
    specFile,
  ];
}

/** The cause of a failed job: the job's own line, else the last error-like lines of spark-submit's output. */
export function sparkCause(stderr: string): string {
  const own = [...stderr.matchAll(/^PINPIPE_SPARK_ERROR: (.*)$/gm)].pop();
  if (own) return own[1]!.slice(0, 1000);
  const lines = stderr.split('\n').filter((l) => /Exception|Error|error:/.test(l));
  return (lines.slice(-3).join(' | ') || stderr.trim().split('\n').slice(-3).join(' | ') || 'no output').slice(0, 1000);
}

/** Run the job; throws a PinpipeError (SPARK_FAILED) with the cause when it fails. */
export async function runSparkJob(cfg: Config, spec: SparkSpec, signal?: AbortSignal): Promise<SparkOutput> {
  const job = {
    out: spec.out,
    curatedOut: spec.curatedOut ?? path.join(spec.out, 'curated'),
    hadoop: spec.hadoop ?? {},
    tableOf: TABLE_OF,
    stageColumns: Object.fromEntries(TOPICS.map((t) => [t, sparkColumns(STAGE_COLUMNS[t])])),
    curatedColumns: Object.fromEntries(CURATED_TABLES.map((t) => [t, sparkColumns(CURATED_COLUMNS[t])])),
    days: spec.days.map((d) => ({ day: d.day, inputs: d.files, curate: d.curate !== false, realtime: d.realtime ?? null })),
    curated: spec.curated,
    postingsSql: postingsSelect(spec.postingsColumns),
    metrics: spec.metrics.map((m) => ({ id: m.id, sql: m.sql, columns: m.columns.map(([n]) => n) })),
    check: Boolean(spec.check),
    checkRealtime: spec.checkRealtime ?? null,
  };
  await mkdir(spec.out, { recursive: true });
  const specFile = path.join(spec.out, '..', 'spark-spec.json');
  // the spec may hold S3 credentials (spec.hadoop): readable by the owner only
  await writeFile(specFile, JSON.stringify(job), { mode: 0o600 });
  const submit = sparkSubmitPath(cfg);
  const venvPython = path.join(path.dirname(submit), 'python');
  const env = { ...process.env };
  if (!env.PYSPARK_PYTHON && existsSync(venvPython)) env.PYSPARK_PYTHON = venvPython;
  await new Promise<string>((resolve, reject) => {
    let err = '';
    const child = spawn(submit, submitArgs(cfg, specFile, spec.classPath), { env, stdio: ['ignore', 'pipe', 'pipe'], signal });
    // both streams (spark-submit passes the Python driver's stderr to its stdout); the tail only (Spark is verbose)
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => (err = (err + d).slice(-200_000)));
    }
    child.on('error', (e) =>
      reject(
        e.name === 'AbortError'
          ? new PinpipeError('SPARK_FAILED', 'the Spark job was stopped (batch-run interrupted)', { retriable: true, cause: e })
          : new PinpipeError('SPARK_FAILED', `cannot run spark-submit (${submit}): ${e.message}; install it (npm run services:up) or set batch.spark.submit`, {
              cause: e,
            }),
      ),
    );
    child.on('close', (code, sig) => {
      if (code === 0 && existsSync(path.join(spec.out, '_SUCCESS.json'))) resolve(err);
      else
        reject(
          new PinpipeError('SPARK_FAILED', `the Spark job failed (${sig ? `signal ${sig}` : `exit ${code}`}): ${sparkCause(err)}${s3aHint(err)}`, {
            retriable: true,
          }),
        );
    });
  });
  const success = JSON.parse(await readFile(path.join(spec.out, '_SUCCESS.json'), 'utf8')) as {
    days: Record<string, Record<string, number>>;
    files: Record<string, Record<string, string[]>>;
  };
  const out: SparkOutput = { curated: [], metrics: new Map(), realtime: new Map(), refused: new Map() };
  if (spec.check) {
    const refused = JSON.parse(await readFile(path.join(spec.out, 'check.json'), 'utf8')) as Record<string, string>;
    for (const [id, reason] of Object.entries(refused)) out.refused.set(id, reason);
    return out;
  }
  for (const d of spec.days) {
    if (d.realtime) out.realtime.set(d.day, JSON.parse(await readFile(path.join(spec.out, 'realtime', `${d.day}.json`), 'utf8')) as SparkRealtimeOut);
    if (d.curate === false) continue;
    for (const table of CURATED_TABLES) {
      const parts = success.files[d.day]?.[table] ?? [];
      if (parts.length !== 1) throw new PinpipeError('SPARK_FAILED', `the Spark job wrote ${parts.length} files for ${table} of ${d.day} (expected one)`);
      const file = parts[0]!.startsWith('file:') ? fileURLToPath(parts[0]!) : parts[0]!;
      out.curated.push({ day: d.day, table, file, rows: success.days[d.day]?.[table] ?? 0 });
    }
  }
  for (const m of spec.metrics) out.metrics.set(m.id, JSON.parse(await readFile(path.join(spec.out, 'metrics', `${m.id}.json`), 'utf8')) as PlainRow[]);
  return out;
}
