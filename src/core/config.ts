/**
 * Configuration: flags > environment (PINPIPE_*) > config file (--config FILE, else
 * config/pinpipe.json if present) > defaults. Validated with zod; every problem is reported at
 * once and names the setting, the value and what is allowed (exit code 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PinpipeError } from './errors.js';
import { HIDDEN, redactValue } from './redact.js';
import { closest } from './suggest.js';
import { deepMerge, getPath, setPath } from './json-path.js';
import { parseDuration } from './time.js';

const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 500ms, 10s, 5m or a number of milliseconds' });
    return z.NEVER;
  }
  return ms;
});
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().min(1);

/** `.describe()` of every setting is its documentation: README's settings table is generated from it (config-docs.ts). */
// prettier-ignore
export const configSchema = z.strictObject({
  dataDir: z.string().min(1).default('./.pinpipe').describe('data directory of the embedded stack: log, lake, store, logs'),
  log: z.strictObject({
    kind: z.enum(['embedded', 'kafka']).default('embedded').describe('the log: the embedded one, or Kafka (the default when brokers are set)'),
    partitions: positiveInt.max(1024).default(3).describe('partitions of each topic created by pinpipe'),
    topicPrefix: z.string().regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"').default('').describe('prefix of the topic names (pin, geo, user, deadletter)'),
    kafka: z.strictObject({
      brokers: z.array(z.string().min(1)).default([]).describe('Kafka bootstrap brokers, host:port (comma-separated in the environment)'),
      clientId: z.string().default('pinpipe').describe('Kafka client id'),
      ssl: z.boolean().default(false).describe('TLS to the brokers'),
      sslCaFile: z.string().optional().describe('CA certificate file (PEM) for TLS to the brokers'),
      sslRejectUnauthorized: z.boolean().default(true).describe('refuse brokers whose certificate does not verify (false only for tests)'),
      saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional().describe('SASL mechanism'),
      saslUsername: z.string().optional().describe('SASL user name'),
      saslPassword: z.string().optional().describe('SASL password (from the environment, never a committed file)'),
      replicationFactor: z.coerce.number().int().min(-1).default(-1).describe("replication factor of topics pinpipe creates (-1: the broker's default)"),
    }).prefault({}),
  }).prefault({}),
  lake: z.strictObject({
    kind: z.enum(['local', 's3']).default('local').describe('the lake: a local directory, or S3 (the default when a bucket is set)'),
    s3: z.strictObject({
      bucket: z.string().default('').describe('S3 bucket'),
      endpoint: z.string().optional().describe('S3 endpoint URL of an S3-compatible store (default: AWS)'),
      region: z.string().default('us-east-1').describe('S3 region'),
      forcePathStyle: z.boolean().default(false).describe('path-style URLs (most S3-compatible servers)'),
      prefix: z.string().default('').describe('key prefix of the lake in the bucket'),
      createBucket: z.boolean().default(false).describe('create the bucket when it is missing'),
    }).prefault({}),
  }).prefault({}),
  store: z.strictObject({
    kind: z.enum(['embedded', 'mysql']).default('embedded').describe('the serving store: the embedded SQLite file, or MySQL (the default when a URL is set)'),
    mysql: z.strictObject({
      url: z.string().default('').describe('mysql://user:password@host:port/database'),
      ssl: z.boolean().default(false).describe('TLS to MySQL'),
      sslCaFile: z.string().optional().describe('CA certificate file (PEM) for TLS to MySQL'),
      sslRejectUnauthorized: z.boolean().default(true).describe('refuse a server whose certificate does not verify (false only for tests)'),
      poolSize: positiveInt.max(100).default(5).describe('connections in the pool'),
    }).prefault({}),
  }).prefault({}),
  realtime: z.strictObject({
    kind: z.enum(['embedded', 'redis']).default('embedded').describe('the realtime store: the embedded SQLite file, or Redis (the default when a URL is set)'),
    redis: z.strictObject({
      url: z.string().default('').describe('redis://[user:password@]host:port[/db] (rediss:// for TLS)'),
      tls: z.boolean().default(false).describe('TLS to Redis'),
      tlsCaFile: z.string().optional().describe('CA certificate file (PEM) for TLS to Redis'),
      keyPrefix: z.string().default('pinpipe:').describe('prefix of every Redis key pinpipe writes'),
      windowTtl: duration.default(7 * 86_400_000).describe('how long windows stay in Redis (a duration: 7d)'),
    }).prefault({}),
  }).prefault({}),
  api: z.strictObject({
    host: z.string().default('127.0.0.1').describe('interface the API binds'),
    port: port.default(8080).describe('port of the API'),
    maxBodyBytes: positiveInt.default(1_048_576).describe('largest request body, bytes'),
    maxBulkRecords: positiveInt.default(10_000).describe('most records in one /bulk request'),
    maxFieldChars: positiveInt.default(10_000).describe('longest text field, characters'),
    maxFields: positiveInt.default(100).describe('most fields in a record'),
    bulkWorkers: z.coerce.number().int().min(0).max(64).optional().describe('threads that parse /bulk bodies of 16 KiB or more off the main thread (0: none; default 1 with two or more cores)'),
    apiKey: z.string().min(16, 'must be at least 16 characters').optional().describe('key the ingestion routes require (header X-API-Key or Authorization: Bearer); none: open'),
  }).prefault({}),
  batch: z.strictObject({
    group: z.string().min(1).default('pinpipe-batch').describe('consumer group of consume-batch'),
    chunkRecords: positiveInt.default(50_000).describe('records in a raw chunk at most'),
    chunkSpan: duration.default(60_000).describe('record time a raw chunk spans at most (`up` uses 10s)'),
    idleFlush: duration.default(5_000).describe('an idle, caught-up partition flushes its open chunk after this'),
    dayGrace: duration.default(60_000).describe('a day is marked complete this long after its end'),
    engine: z.enum(['duckdb', 'spark']).default('duckdb').describe('engine of batch-run: duckdb (in process) or spark (spark-submit of the job in spark/; docs/design.md)'),
    spark: z.strictObject({
      master: z.string().min(1).default('local[*]').describe('Spark master of batch-run --engine spark: local[*], spark://host:7077, yarn, k8s://https://host:port'),
      submit: z.string().min(1).optional().describe('path of spark-submit (default: $SPARK_HOME/bin/spark-submit, else the pyspark venv of scripts/services.sh, else spark-submit on PATH)'),
      submitOptions: z.array(z.string()).default([]).describe('extra spark-submit arguments, e.g. ["--deploy-mode", "client", "--queue", "etl"]'),
      conf: z.record(z.string(), z.string()).optional().describe('Spark settings passed as --conf key=value, e.g. {"spark.executor.cores": "2"}'),
      driverMemory: z.string().min(1).default('1g').describe('spark.driver.memory of the batch job'),
      executorMemory: z.string().min(1).default('1g').describe('spark.executor.memory of the batch job'),
      stageInLake: z.boolean().default(false).describe('on an S3 lake, the cleaned records go to the run\'s staging prefix in the lake too (executors that do not share the CLI\'s filesystem read them through S3A)'),
      jars: z.array(z.string()).optional().describe('jars on the class path of the job (S3A for an S3 lake; default: those installed by scripts/services.sh, else none: the cluster brings S3A)'),
    }).prefault({}),
  }).prefault({}),
  stream: z.strictObject({
    group: z.string().min(1).default('pinpipe-stream').describe('consumer group of consume-stream (its checkpoint in the realtime store)'),
    lateness: duration.default(10_000).describe('allowed lateness: the watermark trails the newest ingested_at by this'),
    joinWindow: duration.default(30_000).describe('a pin and its geo or user record join when their ingested_at are this close'),
    flushInterval: duration.default(200).describe('open windows are written this often'),
  }).prefault({}),
  metricsPort: port.optional().describe('port of GET /health and Prometheus /metrics of consume-batch and consume-stream (off when unset; 0: any free port)'),
  dashboard: z.strictObject({
    host: z.string().default('127.0.0.1').describe('interface `pinpipe dashboard` binds (beyond localhost only with an access key)'),
    port: port.default(8081).describe('port of `pinpipe dashboard`'),
    apiKey: z.string().min(16, 'must be at least 16 characters').optional().describe('access key of the dashboard (Bearer, X-API-Key or ?key= once); required to bind beyond localhost'),
  }).prefault({}),
  engine: z.strictObject({
    memoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size such as 1GB or 1536MB').optional().describe("DuckDB's memory limit in batch-run and query, e.g. 1GB or 1536MB; beyond it the engine spills to tempDir (default: a quarter of RAM, at most 768 MB)"),
    tempDir: z.string().min(1).optional().describe('where DuckDB spills beyond its memory limit (default <dataDir>/tmp/duckdb; needs room for a day of raw data, about 1 GB per 10M records)'),
  }).prefault({}),
  metrics: z.strictObject({
    dir: z.string().min(1).optional().describe('directory of your metric files, `<id>.sql` (default ./metrics when it exists; docs/metrics.md)'),
  }).prefault({}),
});

export type Config = z.output<typeof configSchema>;
type Json = Record<string, unknown>;

/** Environment variables and the setting each one sets (dotted path); `integer`: digits only. */
// prettier-ignore
export const ENV_SETTINGS: Record<string, { path: string; parse?: (v: string) => unknown; integer?: boolean }> = {
  PINPIPE_DATA_DIR: { path: 'dataDir' },
  PINPIPE_LOG: { path: 'log.kind' },
  PINPIPE_PARTITIONS: { path: 'log.partitions', integer: true },
  PINPIPE_TOPIC_PREFIX: { path: 'log.topicPrefix' },
  PINPIPE_KAFKA_BROKERS: { path: 'log.kafka.brokers', parse: (v) => v.split(',').map((s) => s.trim()).filter(Boolean) },
  PINPIPE_KAFKA_CLIENT_ID: { path: 'log.kafka.clientId' },
  PINPIPE_KAFKA_SSL: { path: 'log.kafka.ssl', parse: bool },
  PINPIPE_KAFKA_SSL_CA_FILE: { path: 'log.kafka.sslCaFile' },
  PINPIPE_KAFKA_SASL_MECHANISM: { path: 'log.kafka.saslMechanism', parse: (v) => v.toLowerCase() },
  PINPIPE_KAFKA_SASL_USERNAME: { path: 'log.kafka.saslUsername' },
  PINPIPE_KAFKA_SASL_PASSWORD: { path: 'log.kafka.saslPassword' },
  PINPIPE_LAKE: { path: 'lake.kind' },
  PINPIPE_S3_BUCKET: { path: 'lake.s3.bucket' },
  PINPIPE_S3_ENDPOINT: { path: 'lake.s3.endpoint' },
  PINPIPE_S3_REGION: { path: 'lake.s3.region' },
  PINPIPE_S3_FORCE_PATH_STYLE: { path: 'lake.s3.forcePathStyle', parse: bool },
  PINPIPE_S3_PREFIX: { path: 'lake.s3.prefix' },
  PINPIPE_STORE: { path: 'store.kind' },
  PINPIPE_MYSQL_URL: { path: 'store.mysql.url' },
  PINPIPE_MYSQL_SSL: { path: 'store.mysql.ssl', parse: bool },
  PINPIPE_MYSQL_SSL_CA_FILE: { path: 'store.mysql.sslCaFile' },
  PINPIPE_REALTIME: { path: 'realtime.kind' },
  PINPIPE_REDIS_URL: { path: 'realtime.redis.url' },
  PINPIPE_REDIS_TLS: { path: 'realtime.redis.tls', parse: bool },
  PINPIPE_REDIS_KEY_PREFIX: { path: 'realtime.redis.keyPrefix' },
  PINPIPE_API_HOST: { path: 'api.host' },
  PINPIPE_API_PORT: { path: 'api.port', integer: true },
  PINPIPE_API_KEY: { path: 'api.apiKey' },
  PINPIPE_API_BULK_WORKERS: { path: 'api.bulkWorkers', integer: true },
  PINPIPE_METRICS_PORT: { path: 'metricsPort', integer: true },
  PINPIPE_METRICS_DIR: { path: 'metrics.dir' },
  PINPIPE_BATCH_CHUNK_SPAN: { path: 'batch.chunkSpan' },
  PINPIPE_BATCH_IDLE_FLUSH: { path: 'batch.idleFlush' },
  PINPIPE_BATCH_ENGINE: { path: 'batch.engine' }, PINPIPE_SPARK_MASTER: { path: 'batch.spark.master' }, PINPIPE_SPARK_SUBMIT: { path: 'batch.spark.submit' },
  PINPIPE_DASHBOARD_HOST: { path: 'dashboard.host' },
  PINPIPE_DASHBOARD_PORT: { path: 'dashboard.port', integer: true },
  PINPIPE_DASHBOARD_KEY: { path: 'dashboard.apiKey' },
  PINPIPE_ENGINE_MEMORY_LIMIT: { path: 'engine.memoryLimit' }, PINPIPE_ENGINE_TEMP_DIR: { path: 'engine.tempDir' },
};

/** PINPIPE_* variables that are not settings but are read elsewhere (logging, scripts/, tests). */
export const OTHER_ENV: Record<string, string> = {
  PINPIPE_LOG_LEVEL: 'log level: debug, info, warn, error',
  PINPIPE_DEBUG: 'print stack traces of unexpected errors',
  PINPIPE_SERVICES_DIR: 'scripts/: state of the test services',
  PINPIPE_CACHE_DIR: 'scripts/: downloads of the test services',
  PINPIPE_KAFKA_VERSION: 'scripts/: Kafka version of the test broker',
  PINPIPE_KAFKA_PORT: 'scripts/: port of the test broker',
  PINPIPE_KAFKA_CONTROLLER_PORT: 'scripts/: controller port of the test broker',
  PINPIPE_MOTO_SPEC: 'scripts/: moto version of the test S3 server',
  PINPIPE_PYSPARK_SPEC: 'scripts/: pyspark version of the test Spark master and worker',
  PINPIPE_SPARK_PORT: 'scripts/: port of the test Spark master',
  PINPIPE_SPARK_UI_PORT: 'scripts/: web UI port of the test Spark master',
};

/**
 * One warning per PINPIPE_* variable that pinpipe does not know (a typo such as PINPIPE_API_KEYS
 * would otherwise be ignored in silence), naming the closest known variable.
 */
export function unknownEnvWarnings(env: NodeJS.ProcessEnv): string[] {
  const known = [...Object.keys(ENV_SETTINGS), ...Object.keys(OTHER_ENV)];
  const out: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('PINPIPE_') || known.includes(name)) continue;
    const near = closest(name, known);
    const where = near && ENV_SETTINGS[near] ? ` (${ENV_SETTINGS[near].path})` : '';
    const hint = near ? `did you mean ${near}${where}?` : 'the known variables are listed under Configuration in README.md';
    out.push(`${name} is not a pinpipe setting and is ignored; ${hint}`);
  }
  return out;
}

/** Values of environment settings that zod would misread: integers must be digits only (no 1e3, 0x10, 1.0). */
export function envProblems(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [name, spec] of Object.entries(ENV_SETTINGS)) {
    const v = env[name];
    if (spec.integer && v && !/^\s*[+-]?\d+\s*$/.test(v)) out.push(`  ${name} (${spec.path}) = ${JSON.stringify(v)}: must be an integer (digits only)`);
  }
  return out;
}

function bool(v: string): unknown {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  return v; // zod reports it
}

export interface LoadOptions {
  /** --config FILE */
  configFile?: string;
  /** settings from flags, as dotted paths (`{ 'api.port': 9000 }`) */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const DEFAULT_FILE = 'config/pinpipe.json';

export function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PinpipeError('CONFIG_INVALID', `cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('top level must be an object');
    return v as Json;
  } catch (e) {
    throw new PinpipeError('CONFIG_INVALID', `config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Build the layered raw settings (before validation). Exposed for tests. */
export function layerSettings(opts: LoadOptions = {}): Json {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  let file: Json = {};
  if (opts.configFile) file = readConfigFile(path.resolve(cwd, opts.configFile));
  else if (existsSync(path.join(cwd, DEFAULT_FILE))) file = readConfigFile(path.join(cwd, DEFAULT_FILE));

  const fromEnv: Json = {};
  for (const [name, spec] of Object.entries(ENV_SETTINGS)) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(fromEnv, spec.path, spec.parse ? spec.parse(v) : v);
  }
  const fromFlags: Json = {};
  for (const [k, v] of Object.entries(opts.flags ?? {})) if (v !== undefined) setPath(fromFlags, k, v);
  const merged = deepMerge(deepMerge(file, fromEnv), fromFlags);
  // A connection setting implies its real system unless the kind is set explicitly.
  const implied: [string, string, string][] = [
    ['log.kind', 'log.kafka.brokers', 'kafka'],
    ['lake.kind', 'lake.s3.bucket', 's3'],
    ['store.kind', 'store.mysql.url', 'mysql'],
    ['realtime.kind', 'realtime.redis.url', 'redis'],
  ];
  for (const [kind, conn, real] of implied) {
    const c = getPath(merged, conn);
    if (getPath(merged, kind) === undefined && (Array.isArray(c) ? c.length > 0 : Boolean(c))) setPath(merged, kind, real);
  }
  return merged;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const raw = layerSettings(opts);
  const fromEnv = envProblems(opts.env ?? process.env);
  const res = configSchema.safeParse(raw);
  // every problem at once: the environment's, the schema's, and the checks across settings
  const lines = [...fromEnv, ...(res.success ? [] : res.error.issues.flatMap((i) => issueLines(raw, i))), ...crossFieldProblems(raw)];
  if (!res.success || lines.length) throw new PinpipeError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`);
  const cfg = res.data;
  cfg.dataDir = path.resolve(opts.cwd ?? process.cwd(), cfg.dataDir);
  return cfg;
}

/** Checks across settings, on the layered settings (so they are reported with the schema's problems). */
// prettier-ignore
function crossFieldProblems(raw: Json): string[] {
  const get = (p: string) => getPath(raw, p);
  const text = (p: string) => (typeof get(p) === 'string' ? (get(p) as string) : '');
  const problems: string[] = [];
  const brokers = get('log.kafka.brokers');
  if (get('log.kind') === 'kafka' && !(Array.isArray(brokers) && brokers.length)) problems.push('  log.kafka.brokers: required when log.kind is kafka (set PINPIPE_KAFKA_BROKERS=host:port,...)');
  if (get('log.kafka.saslMechanism') && !(text('log.kafka.saslUsername') && text('log.kafka.saslPassword'))) problems.push('  log.kafka.saslUsername/saslPassword: required with a SASL mechanism (set PINPIPE_KAFKA_SASL_USERNAME and PINPIPE_KAFKA_SASL_PASSWORD)');
  if (get('lake.kind') === 's3' && !text('lake.s3.bucket')) problems.push('  lake.s3.bucket: required when lake.kind is s3 (set PINPIPE_S3_BUCKET)');
  if (get('store.kind') === 'mysql' && !/^mysql:\/\//.test(text('store.mysql.url'))) problems.push('  store.mysql.url: must be a mysql://user:pass@host:port/db URL when store.kind is mysql (set PINPIPE_MYSQL_URL)');
  if (get('realtime.kind') === 'redis' && !/^rediss?:\/\//.test(text('realtime.redis.url'))) problems.push('  realtime.redis.url: must be a redis:// or rediss:// URL when realtime.kind is redis (set PINPIPE_REDIS_URL)');
  return problems;
}

/**
 * The lines of one zod issue: the setting, its value (secrets hidden, never a whole object) and
 * what is allowed; an unknown key is named with the closest known setting.
 */
function issueLines(raw: Json, i: z.core.$ZodIssue): string[] {
  const key = i.path.join('.');
  if (i.code === 'unrecognized_keys') {
    const known = Object.keys(shapeAt(i.path.map(String)));
    return i.keys.map((k) => {
      const near = closest(k, known);
      return `  ${key ? `${key}.` : ''}${k}: unknown setting${near ? `; did you mean ${key ? `${key}.` : ''}${near}?` : known.length ? ` (known: ${known.join(', ')})` : ''}`;
    });
  }
  const value = i.path.length ? getPath(raw, key) : undefined;
  const safe = redactValue(value, String(i.path[i.path.length - 1] ?? ''));
  const shown = safe !== null && typeof safe === 'object' && !Array.isArray(safe) ? '(an object)' : safe === HIDDEN ? HIDDEN : JSON.stringify(safe);
  return [`  ${key || '(config)'} = ${shown}: ${issueText(i)}`];
}

/** The keys the schema allows at a dotted path (empty if the path is not an object of the schema). */
function shapeAt(pathParts: string[]): Record<string, unknown> {
  let cur: unknown = configSchema;
  for (const p of ['', ...pathParts]) {
    if (p) cur = (cur as { shape?: Record<string, unknown> }).shape?.[p];
    // unwrap defaults, prefaults and optionals down to the object
    for (let n = 0; n < 5 && cur && !(cur as { shape?: unknown }).shape; n++) cur = (cur as { def?: { innerType?: unknown } }).def?.innerType;
    if (!cur) return {};
  }
  return (cur as { shape?: Record<string, unknown> }).shape ?? {};
}

function issueText(i: z.core.$ZodIssue): string {
  if (i.code === 'invalid_value') return `must be one of ${(i.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (i.code === 'invalid_type') return `must be ${i.expected}`;
  if (i.code === 'too_small') return i.origin === 'string' ? `must be at least ${String(i.minimum)} characters` : `must be >= ${String(i.minimum)}`;
  if (i.code === 'too_big') return `must be <= ${String(i.maximum)}`;
  return i.message;
}

/** Topic name in the log for a logical topic. */
export function topicName(cfg: Config, logical: string): string {
  return `${cfg.log.topicPrefix}${logical}`;
}
