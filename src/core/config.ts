/**
 * Configuration: flags > environment (PINPIPE_*) > config file (--config FILE, else
 * config/pinpipe.json if present) > defaults. Validated with zod; every problem is reported at
 * once and names the setting, the value and what is allowed (exit code 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PinpipeError } from './errors.js';
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

export const configSchema = z.strictObject({
  dataDir: z.string().min(1).default('./.pinpipe'),
  log: z.strictObject({
    kind: z.enum(['embedded', 'kafka']).default('embedded'),
    partitions: positiveInt.max(1024).default(3),
    topicPrefix: z.string().regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"').default(''),
    kafka: z.strictObject({
      brokers: z.array(z.string().min(1)).default([]),
      clientId: z.string().default('pinpipe'),
      ssl: z.boolean().default(false),
      sslCaFile: z.string().optional(),
      sslRejectUnauthorized: z.boolean().default(true),
      saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
      saslUsername: z.string().optional(),
      saslPassword: z.string().optional(),
      replicationFactor: z.coerce.number().int().min(-1).default(-1),
    }).prefault({}),
  }).prefault({}),
  lake: z.strictObject({
    kind: z.enum(['local', 's3']).default('local'),
    s3: z.strictObject({
      bucket: z.string().default(''),
      endpoint: z.string().optional(),
      region: z.string().default('us-east-1'),
      forcePathStyle: z.boolean().default(false),
      prefix: z.string().default(''),
      createBucket: z.boolean().default(false),
    }).prefault({}),
  }).prefault({}),
  store: z.strictObject({
    kind: z.enum(['embedded', 'mysql']).default('embedded'),
    mysql: z.strictObject({
      url: z.string().default(''),
      ssl: z.boolean().default(false),
      sslCaFile: z.string().optional(),
      sslRejectUnauthorized: z.boolean().default(true),
      poolSize: positiveInt.max(100).default(5),
    }).prefault({}),
  }).prefault({}),
  realtime: z.strictObject({
    kind: z.enum(['embedded', 'redis']).default('embedded'),
    redis: z.strictObject({
      url: z.string().default(''),
      tls: z.boolean().default(false),
      tlsCaFile: z.string().optional(),
      keyPrefix: z.string().default('pinpipe:'),
      windowTtl: duration.default(7 * 86_400_000),
    }).prefault({}),
  }).prefault({}),
  api: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: port.default(8080),
    maxBodyBytes: positiveInt.default(1_048_576),
    maxBulkRecords: positiveInt.default(10_000),
    maxFieldChars: positiveInt.default(10_000),
    maxFields: positiveInt.default(100),
    /** threads that parse /bulk bodies off the main thread (0: none); default 1 with two or more cores */
    bulkWorkers: z.coerce.number().int().min(0).max(64).optional(),
    apiKey: z.string().min(16, 'must be at least 16 characters').optional(),
  }).prefault({}),
  batch: z.strictObject({
    group: z.string().min(1).default('pinpipe-batch'),
    chunkRecords: positiveInt.default(50_000),
    chunkSpan: duration.default(60_000),
    idleFlush: duration.default(5_000),
    dayGrace: duration.default(60_000),
  }).prefault({}),
  stream: z.strictObject({
    group: z.string().min(1).default('pinpipe-stream'),
    lateness: duration.default(10_000),
    joinWindow: duration.default(30_000),
    flushInterval: duration.default(200),
  }).prefault({}),
  metricsPort: port.optional(),
  dashboard: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: port.default(8081),
    /** access key; required to bind beyond localhost */
    apiKey: z.string().min(16, 'must be at least 16 characters').optional(),
  }).prefault({}),
  metrics: z.strictObject({
    /** the user's metric files (<id>.sql); default ./metrics when it exists */
    dir: z.string().min(1).optional(),
  }).prefault({}),
});

export type Config = z.output<typeof configSchema>;
type Json = Record<string, unknown>;

/** Environment variables and the setting each one sets (dotted path). */
export const ENV_SETTINGS: Record<string, { path: string; parse?: (v: string) => unknown }> = {
  PINPIPE_DATA_DIR: { path: 'dataDir' },
  PINPIPE_LOG: { path: 'log.kind' },
  PINPIPE_PARTITIONS: { path: 'log.partitions' },
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
  PINPIPE_API_PORT: { path: 'api.port' },
  PINPIPE_API_KEY: { path: 'api.apiKey' },
  PINPIPE_API_BULK_WORKERS: { path: 'api.bulkWorkers' },
  PINPIPE_METRICS_PORT: { path: 'metricsPort' },
  PINPIPE_BATCH_CHUNK_SPAN: { path: 'batch.chunkSpan' },
  PINPIPE_BATCH_IDLE_FLUSH: { path: 'batch.idleFlush' },
  PINPIPE_METRICS_DIR: { path: 'metrics.dir' },
  PINPIPE_DASHBOARD_HOST: { path: 'dashboard.host' },
  PINPIPE_DASHBOARD_PORT: { path: 'dashboard.port' },
  PINPIPE_DASHBOARD_KEY: { path: 'dashboard.apiKey' },
};

function bool(v: string): unknown {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  return v; // zod reports it
}

function setPath(obj: Json, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Json;
  }
  cur[parts[parts.length - 1]!] = value;
}

function getPath(obj: Json, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Json)[k] : undefined), obj);
}

function deepMerge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev) ? deepMerge(prev as Json, v as Json) : v;
  }
  return out;
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
  const res = configSchema.safeParse(raw);
  if (!res.success) {
    const lines = res.error.issues.map((i) => {
      const key = i.path.join('.');
      const value = i.path.length ? getPath(raw, key) : undefined;
      const shown = /password|apiKey|secret/i.test(key) ? '(hidden)' : JSON.stringify(value);
      return `  ${key || '(config)'} = ${shown}: ${issueText(i)}`;
    });
    throw new PinpipeError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = res.data;
  const problems: string[] = [];
  if (cfg.log.kind === 'kafka' && cfg.log.kafka.brokers.length === 0) problems.push('  log.kafka.brokers: required when log.kind is kafka (set PINPIPE_KAFKA_BROKERS=host:port,...)');
  if (cfg.log.kafka.saslMechanism && !(cfg.log.kafka.saslUsername && cfg.log.kafka.saslPassword)) problems.push('  log.kafka.saslUsername/saslPassword: required with a SASL mechanism (set PINPIPE_KAFKA_SASL_USERNAME and PINPIPE_KAFKA_SASL_PASSWORD)');
  if (cfg.lake.kind === 's3' && !cfg.lake.s3.bucket) problems.push('  lake.s3.bucket: required when lake.kind is s3 (set PINPIPE_S3_BUCKET)');
  if (cfg.store.kind === 'mysql' && !/^mysql:\/\//.test(cfg.store.mysql.url)) problems.push(`  store.mysql.url: must be a mysql://user:pass@host:port/db URL when store.kind is mysql (set PINPIPE_MYSQL_URL)`);
  if (cfg.realtime.kind === 'redis' && !/^rediss?:\/\//.test(cfg.realtime.redis.url)) problems.push('  realtime.redis.url: must be a redis:// or rediss:// URL when realtime.kind is redis (set PINPIPE_REDIS_URL)');
  if (problems.length) throw new PinpipeError('CONFIG_INVALID', `invalid configuration:\n${problems.join('\n')}`);
  cfg.dataDir = path.resolve(opts.cwd ?? process.cwd(), cfg.dataDir);
  return cfg;
}

function issueText(i: z.core.$ZodIssue): string {
  if (i.code === 'invalid_value') return `must be one of ${(i.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (i.code === 'unrecognized_keys') return `unknown setting(s) ${i.keys.join(', ')}`;
  if (i.code === 'invalid_type') return `must be ${i.expected}`;
  if (i.code === 'too_small') return `must be >= ${String(i.minimum)}`;
  if (i.code === 'too_big') return `must be <= ${String(i.maximum)}`;
  return i.message;
}

/** Topic name in the log for a logical topic. */
export function topicName(cfg: Config, logical: string): string {
  return `${cfg.log.topicPrefix}${logical}`;
}
