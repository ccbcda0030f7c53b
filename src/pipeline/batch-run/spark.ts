/**
 * batch-run on Apache Spark: the CLI side of the job in spark/pinpipe_batch.py. The raw lines are
 * cleaned here with clean.ts (the single definition of the rules) and staged as NDJSON; the job,
 * started with spark-submit, de-duplicates, writes the curated day files and computes the
 * historical metrics into a staging directory, and nothing else. The caller (spark-run.ts)
 * publishes and stores those outputs only after the job succeeded.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
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
  const cache = process.env.PINPIPE_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pinpipe');
  const venv = path.join(cache, 'spark-venv', 'bin', 'spark-submit');
  return existsSync(venv) ? venv : 'spark-submit';
}

export interface SparkSpec {
  days: StagedDay[];
  metrics: HistoricalMetric[];
  postingsColumns: string[];
  /** the local copy of the curated zone (day files the run does not replace are read from there) */
  curatedDir: string;
  out: string;
  /** metrics check --engine spark: only analyse the metrics over empty tables */
  check?: boolean;
}

export interface SparkOutput {
  /** per day and table, the curated file the job wrote */
  curated: { day: string; table: CuratedTable; file: string; rows: number }[];
  metrics: Map<string, PlainRow[]>;
  /** with `check`: the metrics Spark refuses, by id, with its reason */
  refused: Map<string, string>;
}

/** The spark-submit arguments (settings first, then the job and its spec). */
export function submitArgs(cfg: Config, specFile: string): string[] {
  const s = cfg.batch.spark;
  const conf: Record<string, string> = {
    'spark.sql.session.timeZone': 'UTC',
    'spark.sql.ansi.enabled': 'true',
    'spark.sql.ansi.doubleQuotedIdentifiers': 'true',
    'spark.sql.parquet.outputTimestampType': 'TIMESTAMP_MICROS',
    'spark.ui.showConsoleProgress': 'false',
    'spark.task.maxFailures': '1',
    // few shuffle partitions: Spark's 200 make a small day slow (tasks of a few rows); raise it for big days in batch.spark.conf
    'spark.sql.shuffle.partitions': '8',
    ...(s.conf ?? {}),
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
  const curated: Record<string, { dt: string; path: string }[]> = {};
  const replaced = new Set(spec.days.map((d) => d.day));
  for (const table of CURATED_TABLES)
    curated[table] = dayFilesOf(spec.curatedDir, table)
      .map((f) => ({ dt: f.name.slice(3, 13), path: path.join(spec.curatedDir, table, f.name) }))
      .filter((f) => !replaced.has(f.dt));
  const job = {
    out: spec.out,
    tableOf: TABLE_OF,
    stageColumns: Object.fromEntries(TOPICS.map((t) => [t, sparkColumns(STAGE_COLUMNS[t])])),
    curatedColumns: Object.fromEntries(CURATED_TABLES.map((t) => [t, sparkColumns(CURATED_COLUMNS[t])])),
    days: spec.days.map((d) => ({ day: d.day, inputs: d.files })),
    curated,
    postingsSql: postingsSelect(spec.postingsColumns),
    metrics: spec.metrics.map((m) => ({ id: m.id, sql: m.sql, columns: m.columns.map(([n]) => n) })),
    check: Boolean(spec.check),
  };
  await mkdir(spec.out, { recursive: true });
  const specFile = path.join(spec.out, '..', 'spark-spec.json');
  await writeFile(specFile, JSON.stringify(job));
  const submit = sparkSubmitPath(cfg);
  const venvPython = path.join(path.dirname(submit), 'python');
  const env = { ...process.env };
  if (!env.PYSPARK_PYTHON && existsSync(venvPython)) env.PYSPARK_PYTHON = venvPython;
  await new Promise<string>((resolve, reject) => {
    let err = '';
    const child = spawn(submit, submitArgs(cfg, specFile), { env, stdio: ['ignore', 'pipe', 'pipe'], signal });
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
        reject(new PinpipeError('SPARK_FAILED', `the Spark job failed (${sig ? `signal ${sig}` : `exit ${code}`}): ${sparkCause(err)}`, { retriable: true }));
    });
  });
  const success = JSON.parse(await readFile(path.join(spec.out, '_SUCCESS.json'), 'utf8')) as { days: Record<string, Record<string, number>> };
  const out: SparkOutput = { curated: [], metrics: new Map(), refused: new Map() };
  if (spec.check) {
    const refused = JSON.parse(await readFile(path.join(spec.out, 'check.json'), 'utf8')) as Record<string, string>;
    for (const [id, reason] of Object.entries(refused)) out.refused.set(id, reason);
    return out;
  }
  for (const d of spec.days) {
    for (const table of CURATED_TABLES) {
      const dir = path.join(spec.out, 'curated', table, `dt=${d.day}`);
      const parts = readdirSync(dir).filter((n) => n.startsWith('part-') && n.endsWith('.parquet'));
      if (parts.length !== 1) throw new PinpipeError('SPARK_FAILED', `the Spark job wrote ${parts.length} files for ${table} of ${d.day} (expected one)`);
      out.curated.push({ day: d.day, table, file: path.join(dir, parts[0]!), rows: success.days[d.day]?.[table] ?? 0 });
    }
  }
  for (const m of spec.metrics) out.metrics.set(m.id, JSON.parse(await readFile(path.join(spec.out, 'metrics', `${m.id}.json`), 'utf8')) as PlainRow[]);
  return out;
}
