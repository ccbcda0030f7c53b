/**
 * The metrics: the built-in files (src/metrics/builtin/*.sql, the data contract's Q1–Q8, Q3a,
 * Q3b and R1–R5) and the user's metrics directory (`--metrics-dir`, PINPIPE_METRICS_DIR,
 * `metrics.dir`; default ./metrics when it exists), each one SQL file, checked by the engine's own
 * parser and binder. This is the only definition of every metric: batch-run, consume-stream,
 * query, verify and the dashboard read them from here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../core/config.js';
import { PinpipeError } from '../core/errors.js';
import { RESERVED_TABLES, type ColumnType, type TableSpec } from '../core/tables.js';
import { POSTINGS_COLUMNS } from '../engine/schema.js';
import { PACKAGE_CACHE_DIR, cacheKey, dataCacheDir, readCached, writeCached } from './cache.js';
import { CHECK_RELATIONS, HISTORICAL_RELATIONS, SqlChecker, relationsOf } from './checker.js';
import { MetricFileError, lineOf, parseMetricFile, type MetricFile } from './file.js';
import { compileRealtime } from './realtime/compile.js';
import { ColumnLayout } from './realtime/groups.js';
import type { RealtimePlan } from './realtime/ir.js';
import { planSql } from './realtime/sql.js';

export const BUILTIN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/metrics/builtin');

export interface HistoricalMetric extends MetricFile {
  kind: 'historical';
  /** output columns with their store types */
  columns: [string, ColumnType][];
  /** the serving store table (replaced whole by batch-run) */
  spec: TableSpec;
  /** columns of postings the SQL may read (all when it selects *) */
  reads: string[];
}

export interface RealtimeMetric extends MetricFile {
  kind: 'realtime';
  plan: RealtimePlan;
  /** minute, key columns (text), value columns, final */
  columns: [string, ColumnType][];
  keyColumns: string[];
  valueColumns: string[];
  /** written by consume-stream (serving store, final windows) and the realtime store */
  spec: TableSpec;
  /** written by batch-run (recomputed from the raw zone) */
  batchSpec: TableSpec;
}

export type Metric = HistoricalMetric | RealtimeMetric;

export class MetricSet {
  readonly historical: HistoricalMetric[];
  readonly realtime: RealtimeMetric[];
  /** where the columns of each record type sit in the stream's rows (all realtime plans) */
  readonly layout: ColumnLayout;

  constructor(
    readonly all: Metric[],
    /** the user's directory, when there is one */
    readonly dir: string | null,
  ) {
    this.historical = all.filter((m): m is HistoricalMetric => m.kind === 'historical');
    this.realtime = all.filter((m): m is RealtimeMetric => m.kind === 'realtime');
    this.layout = new ColumnLayout(this.realtime.map((m) => m.plan));
  }

  find(id: string): Metric | undefined {
    const want = id.trim().toLowerCase();
    return this.all.find((m) => m.id.toLowerCase() === want);
  }

  /** a metric id typed by a user (case-insensitive) → the metric; unknown → USAGE (exit 2) */
  get(id: string): Metric {
    const m = this.find(id);
    if (!m) throw new PinpipeError('USAGE', `unknown metric ${JSON.stringify(id)}: defined are ${this.all.map((x) => x.id).join(', ')} (pinpipe metrics list)`);
    return m;
  }

  /** every column of postings some historical metric reads */
  get postingsColumns(): string[] {
    const want = new Set(this.historical.flatMap((m) => m.reads));
    return POSTINGS_COLUMNS.filter((c) => want.has(c));
  }
}

/** The user's metrics directory from config: the setting, else ./metrics when it exists, else none. */
export function metricsDir(cfg: Config, cwd = process.cwd()): string | null {
  const set = cfg.metrics?.dir;
  if (set) {
    const dir = path.resolve(cwd, set);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new PinpipeError('CONFIG_INVALID', `metrics.dir (--metrics-dir, PINPIPE_METRICS_DIR) = ${JSON.stringify(set)}: ${dir} is not a directory`);
    return dir;
  }
  const def = path.resolve(cwd, 'metrics');
  return existsSync(def) && statSync(def).isDirectory() && def !== BUILTIN_DIR ? def : null;
}

function readDir(dir: string, builtin: boolean): MetricFile[] {
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.sql'))
    .sort();
  return names.map((n) => {
    const file = path.join(dir, n);
    const rel = path.relative(process.cwd(), file);
    return parseMetricFile(builtin && !rel.startsWith('..') ? rel : file, readFileSync(file, 'utf8'), { builtin });
  });
}

const STORE_TYPE: [RegExp, ColumnType][] = [
  [/^(VARCHAR)$/, 'text'],
  [/^(BIGINT|HUGEINT|UBIGINT|UHUGEINT)$/, 'bigint'],
  [/^(INTEGER|SMALLINT|TINYINT|UINTEGER|USMALLINT|UTINYINT)$/, 'int'],
  [/^(DOUBLE|FLOAT|DECIMAL.*)$/, 'double'],
  [/^BOOLEAN$/, 'bool'],
  [/^(TIMESTAMP|TIMESTAMP WITH TIME ZONE|TIMESTAMP_MS|TIMESTAMP_S|TIMESTAMP_NS)$/, 'timestamp'],
];

/** engine type → store column type (anything else, e.g. a list or a date, is stored as text) */
export function storeType(engineType: string): ColumnType {
  for (const [re, t] of STORE_TYPE) if (re.test(engineType)) return t;
  return 'text';
}

async function checkHistorical(checker: SqlChecker, f: MetricFile): Promise<HistoricalMetric> {
  const ast = await checker.parse(f);
  const rel = relationsOf(ast);
  const at = (loc: number | null) => (loc === null ? null : f.sqlLine + lineOf(f.sql, loc) - 1);
  for (const fn of rel.functions)
    throw new MetricFileError(f.file, at(fn.loc), `${fn.name}(): a historical metric reads only the curated views ${HISTORICAL_RELATIONS.join(', ')}`);
  for (const t of rel.tables) {
    if (!(HISTORICAL_RELATIONS as readonly string[]).includes(t.name))
      throw new MetricFileError(f.file, at(t.loc), `"${t.name}" is not a curated view: a historical metric reads ${HISTORICAL_RELATIONS.join(', ')}`);
  }
  const out = await checker.bind(f, f.sql);
  const columns = out.map(({ name, type }): [string, ColumnType] => [name, storeType(type)]);
  const names = new Set<string>();
  for (const [n] of columns) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n))
      throw new MetricFileError(f.file, null, `output column "${n}" needs a plain name: give it one with AS (letters, digits, "_")`);
    if (names.has(n.toLowerCase())) throw new MetricFileError(f.file, null, `output column ${n} appears twice`);
    names.add(n.toLowerCase());
  }
  for (const k of f.keys)
    if (!names.has(k.toLowerCase())) throw new MetricFileError(f.file, null, `key ${k} is not an output column (${columns.map(([n]) => n).join(', ')})`);
  // the postings columns it reads (batch-run materializes only those); when the syntax tree does
  // not tell them all (a star, or a construct that names columns another way), all of them
  let reads = rel.star ? POSTINGS_COLUMNS : POSTINGS_COLUMNS.filter((c) => rel.columns.has(c));
  if (reads.length < POSTINGS_COLUMNS.length && !(await checker.bindsWithPostings(f.sql, reads))) reads = POSTINGS_COLUMNS;
  return { ...f, kind: 'historical', columns, spec: { name: f.table, columns, rebuild: true }, reads };
}

async function checkRealtime(checker: SqlChecker, f: MetricFile): Promise<RealtimeMetric> {
  const plan = compileRealtime(f, await checker.parse(f));
  const joined = plan.trigger.startsWith('pin+');
  const sql = planSql(plan, { ...CHECK_RELATIONS, joinWindowMs: 30_000 }, joined ? CHECK_RELATIONS.matches : undefined);
  let bound: { name: string; type: string }[];
  try {
    bound = await checker.bind(f, sql, f.sqlLine);
  } catch (e) {
    // the compiled statement is not the file's text: no line to point at
    throw e instanceof MetricFileError ? new MetricFileError(f.file, null, e.reason) : e;
  }
  for (const v of plan.values) {
    const t = bound.find((b) => b.name === v.name)?.type ?? '?';
    const st = storeType(t);
    const ok = v.ty === 'double' ? st === 'double' : st === 'bigint' || st === 'int';
    if (!ok)
      throw new MetricFileError(
        f.file,
        null,
        `${v.name}: the engine types it ${t}, the stream ${v.ty}; simplify the expression (realtime subset: docs/metrics.md)`,
      );
  }
  const keyColumns = plan.keys.map((k) => k.name);
  const valueColumns = plan.values.map((v) => v.name);
  const columns: [string, ColumnType][] = [
    ['minute', 'timestamp'],
    ...keyColumns.map((k): [string, ColumnType] => [k, 'text']),
    ...plan.values.map((v): [string, ColumnType] => [v.name, v.ty === 'int' ? 'bigint' : 'double']),
    ['final', 'bool'],
  ];
  const spec = (name: string): TableSpec => ({ name, columns, key: ['minute', ...keyColumns], rebuild: true });
  return { ...f, kind: 'realtime', plan, columns, keyColumns, valueColumns, spec: spec(`rt_${f.table}`), batchSpec: spec(`batch_${f.table}`) };
}

export interface LoadOptions {
  /** the user's directory (default: from config, see metricsDir) */
  dir?: string | null;
  cwd?: string;
  /** reuse definitions checked before, from the data directory or the package (default true; cache.ts) */
  cache?: boolean;
  /** read and write checked definitions here only (the package build: PACKAGE_CACHE_DIR) */
  cacheDir?: string;
}

/**
 * Read and check every metric file; the first refused file stops with METRIC_INVALID (exit 2)
 * naming the file, the line and the reason. `checkAll` collects every problem instead.
 */
export async function loadMetrics(cfg: Config, opts: LoadOptions = {}): Promise<MetricSet> {
  const { set, problems } = await checkMetrics(cfg, opts);
  if (problems.length)
    throw new PinpipeError(
      'METRIC_INVALID',
      problems.length === 1 ? problems[0]!.message : `${problems.length} metric files are refused:\n  ${problems.map((p) => p.message).join('\n  ')}`,
    );
  return set;
}

/** Check every metric file; returns the valid ones and the problems (files refused). */
export async function checkMetrics(cfg: Config, opts: LoadOptions = {}): Promise<{ set: MetricSet; problems: MetricFileError[] }> {
  const dir = opts.dir === undefined ? metricsDir(cfg, opts.cwd) : opts.dir;
  const problems: MetricFileError[] = [];
  const builtin = readDir(BUILTIN_DIR, true);
  const files: MetricFile[] = [...builtin];
  if (dir) {
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith('.sql'))
      .sort()) {
      const file = path.join(dir, name);
      try {
        files.push(parseMetricFile(file, readFileSync(file, 'utf8')));
      } catch (e) {
        if (e instanceof MetricFileError) problems.push(e);
        else throw e;
      }
    }
  }
  // ids and store tables are unique (case-insensitive); a user file never replaces a built-in one
  const ids = new Map<string, MetricFile>();
  const tables = new Map<string, MetricFile>();
  const accepted: MetricFile[] = [];
  const physical = (f: MetricFile) => (f.kind === 'realtime' ? [`rt_${f.table}`, `batch_${f.table}`] : [f.table]);
  for (const f of files) {
    const prev = ids.get(f.id.toLowerCase());
    if (prev) {
      problems.push(
        new MetricFileError(
          f.file,
          null,
          prev.builtin ? `the id ${f.id} is a built-in metric (${prev.id}); choose another file name` : `the id ${f.id} is also defined by ${prev.file}`,
        ),
      );
      continue;
    }
    const names = physical(f);
    if (names.some((t) => RESERVED_TABLES.has(t))) {
      problems.push(new MetricFileError(f.file, null, `table ${f.table} is one of pinpipe's own tables: set another with "-- table: name"`));
      continue;
    }
    const clash = names.map((t) => tables.get(t)).find(Boolean);
    if (clash) {
      problems.push(
        new MetricFileError(
          f.file,
          null,
          `table ${f.table} is also the table of ${clash.id}${clash.builtin ? ' (built-in)' : ''}: set another with "-- table: name"`,
        ),
      );
      continue;
    }
    ids.set(f.id.toLowerCase(), f);
    for (const t of names) tables.set(t, f);
    accepted.push(f);
  }
  // unchanged definitions, already checked: no engine needed (cache.ts)
  const useCache = opts.cache !== false && problems.length === 0;
  const key = useCache ? cacheKey(accepted) : '';
  const cacheDirs = opts.cacheDir ? [opts.cacheDir] : [dataCacheDir(cfg.dataDir), PACKAGE_CACHE_DIR];
  const cached = useCache ? readCached<Metric>(cacheDirs, key) : null;
  if (cached) {
    // the paths as read now (a built-in file's depends on the working directory)
    const fileOf = new Map(accepted.map((f) => [f.id, f.file]));
    return {
      set: new MetricSet(
        cached.map((m) => ({ ...m, file: fileOf.get(m.id) ?? m.file })),
        dir,
      ),
      problems,
    };
  }
  const checker = await SqlChecker.open();
  const metrics: Metric[] = [];
  try {
    for (const f of accepted) {
      try {
        metrics.push(f.kind === 'historical' ? await checkHistorical(checker, f) : await checkRealtime(checker, f));
      } catch (e) {
        if (e instanceof MetricFileError) problems.push(e);
        else throw e;
      }
    }
  } finally {
    checker.close();
  }
  if (useCache && problems.length === 0) writeCached(cacheDirs[0]!, key, metrics);
  return { set: new MetricSet(metrics, dir), problems };
}
