/**
 * Where a stage runs: a fresh temp data dir and a config file for the role processes. Embedded:
 * every connector on disk under the data dir. Real (--real): Kafka, S3, MySQL and Redis from the
 * PINPIPE_* settings of `scripts/services-env.sh` (after `npm run services:up`), isolated per
 * stage by a random topic prefix, bucket, database and Redis key prefix, removed afterwards
 * where the connectors allow it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../core/config.js';
import { REPO } from './paths.js';

type Json = Record<string, unknown>;

export interface Stack {
  real: boolean;
  /** the lake is S3 (real stack without --lake local) */
  s3: boolean;
  dataDir: string;
  configFile: string;
  config: Config;
  /** extra environment for the role processes (AWS credentials on the real stack) */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** Parse `export NAME=value` lines (the output of scripts/services-env.sh). */
export function parseExports(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*export\s+([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

let servicesEnv: Record<string, string> | null = null;
function realEnv(): Record<string, string> {
  servicesEnv ??= parseExports(execFileSync('bash', [path.join(REPO, 'scripts', 'services-env.sh')], { encoding: 'utf8' }));
  return servicesEnv;
}

function realSettings(id: string, env: Record<string, string>): { settings: Json; db: string } {
  const db = `pinpipe_bench_${id}`;
  const url = new URL(env.PINPIPE_MYSQL_URL ?? 'mysql://pinpipe:pinpipe@127.0.0.1:3306/pinpipe');
  url.pathname = `/${db}`;
  return {
    db,
    settings: {
      log: { kind: 'kafka', topicPrefix: `bench-${id}-`, kafka: { brokers: (env.PINPIPE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',') } },
      lake: {
        kind: 's3',
        s3: {
          bucket: `pinpipe-bench-${id}`,
          endpoint: env.PINPIPE_S3_ENDPOINT,
          forcePathStyle: true,
          createBucket: true,
          region: env.AWS_REGION ?? 'us-east-1',
        },
      },
      store: { kind: 'mysql', mysql: { url: url.toString() } },
      realtime: { kind: 'redis', redis: { url: env.PINPIPE_REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: `pinpipe-bench-${id}:` } },
    },
  };
}

async function mysqlAdmin(baseUrl: string, sql: string): Promise<void> {
  const { createConnection } = await import('mysql2/promise');
  const conn = await createConnection(baseUrl);
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/** A fresh stack for one stage; `extra` settings are merged over the defaults (e.g. metricsPort). */
export async function makeStack(opts: { real: boolean; lake?: 'local' | 's3'; label: string; extra?: Json }): Promise<Stack> {
  const s3 = opts.real && opts.lake !== 'local';
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `pinpipe-bench-${opts.label}-`));
  const id = randomBytes(4).toString('hex');
  let settings: Json = {};
  let env: Record<string, string> = {};
  let db = '';
  if (opts.real) {
    const e = realEnv();
    env = Object.fromEntries(Object.entries(e).filter(([k]) => k.startsWith('AWS_')));
    // this process talks to S3 too (uploads, clean-up)
    for (const [k, v] of Object.entries(env)) process.env[k] ??= v;
    ({ settings, db } = realSettings(id, e));
    if (!s3) settings.lake = { kind: 'local' };
    await mysqlAdmin(e.PINPIPE_MYSQL_URL!, `CREATE DATABASE \`${db}\``);
  }
  for (const [k, v] of Object.entries(opts.extra ?? {}))
    settings[k] = typeof v === 'object' && v && typeof settings[k] === 'object' ? { ...(settings[k] as Json), ...(v as Json) } : v;
  const configFile = path.join(dataDir, 'bench-config.json');
  writeFileSync(configFile, JSON.stringify(settings, null, 2));
  const config = loadConfig({ configFile, env: {}, flags: { dataDir } });
  return {
    real: opts.real,
    s3,
    dataDir,
    configFile,
    config,
    env,
    async cleanup() {
      if (opts.real) {
        await mysqlAdmin(realEnv().PINPIPE_MYSQL_URL!, `DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
        await dropRealData(config);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Remove what a real-stack stage left: the lake's objects and bucket, the Redis keys, the Kafka topics (each step on its own). */
async function dropRealData(cfg: Config): Promise<void> {
  if (cfg.lake.kind === 's3') await dropLake(cfg).catch(() => undefined);
  await dropRedis(cfg).catch(() => undefined);
  await dropTopics(cfg).catch(() => undefined);
}

async function dropLake(cfg: Config): Promise<void> {
  const { open } = await import('../connectors/open.js');
  await using c = await open(cfg, { lake: true });
  for (const prefix of ['raw/', 'curated/']) {
    const keys = (await c.lake.list(prefix)).map((o) => o.key);
    for (let i = 0; i < keys.length; i += 1000) await c.lake.delete(keys.slice(i, i + 1000));
  }
  const { S3Client, DeleteBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: cfg.lake.s3.endpoint, forcePathStyle: true, region: cfg.lake.s3.region });
  try {
    await s3.send(new DeleteBucketCommand({ Bucket: cfg.lake.s3.bucket }));
  } finally {
    s3.destroy();
  }
}

async function dropRedis(cfg: Config): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(cfg.realtime.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${cfg.realtime.redis.keyPrefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function dropTopics(cfg: Config): Promise<void> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ brokers: cfg.log.kafka.brokers, clientId: 'pinpipe-bench', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(cfg.log.topicPrefix));
    if (topics.length) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
