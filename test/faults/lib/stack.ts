/**
 * The two stacks a fault test runs on, each private to the test: the embedded stack (a temp data
 * dir) and the real stack (Kafka topics with a random prefix, an S3 bucket, a MySQL database and a
 * Redis key prefix of its own, from the services of scripts/services-up.sh). Each stack is one
 * JSON config file for the children (--config) and the same Config for the test process.
 * `via` lets a test route MySQL, Redis or S3 through a fault proxy (lib/tcp-proxy.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../../src/core/config.js';
import { createLake, createLog } from '../../../src/connectors/registry.js';

export interface Stack {
  kind: 'embedded' | 'real';
  name: string;
  cfg: Config;
  configFile: string;
  dataDir: string;
  /** the settings written to configFile */
  settings: Record<string, unknown>;
  cleanup(): Promise<void>;
}

type Json = Record<string, unknown>;

/** users' metric files for the tests (two realtime metrics, one joined; one historical) */
export const FIXTURE_METRICS = path.resolve(import.meta.dirname, '../../fixtures/metrics');

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite with \`npm test\`, or start the services with \`npm run services:up\` and export the TEST_* variables (see scripts/test.sh) before running jest directly`);
  return v;
}

export const realEnv = () => ({
  brokers: need('TEST_KAFKA_BROKERS').split(',').map((s) => s.trim()).filter(Boolean),
  s3: need('TEST_S3_ENDPOINT'),
  mysql: need('TEST_MYSQL_URL'),
  redis: need('TEST_REDIS_URL'),
});

function deepMerge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev) ? deepMerge(prev as Json, v as Json) : v;
  }
  return out;
}

function write(name: string, kind: Stack['kind'], settings: Json, cleanupMore: () => Promise<void>): Stack {
  const dataDir = settings.dataDir as string;
  const configFile = path.join(dataDir, 'pinpipe.json');
  writeFileSync(configFile, JSON.stringify(settings, null, 2));
  const cfg = loadConfig({ env: {}, configFile });
  return {
    kind,
    name,
    cfg,
    configFile,
    dataDir,
    settings,
    cleanup: async () => {
      try {
        await cleanupMore();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export function embeddedStack(name: string, extra: Json = {}): Stack {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `pinpipe-faults-${name}-`));
  return write(name, 'embedded', deepMerge({ dataDir }, extra), async () => undefined);
}

export interface Via {
  /** host:port to reach MySQL, Redis or S3 through instead of the service itself */
  mysql?: string;
  redis?: string;
  s3?: string;
}

/** host:port of a service URL */
export const hostPortOf = (url: string): { host: string; port: number } => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
};

function swapHost(url: string, hostPort: string | undefined): string {
  if (!hostPort) return url;
  const u = new URL(url);
  u.host = hostPort;
  return u.toString().replace(/\/$/, '');
}

export async function realStack(name: string, extra: Json = {}, via: Via = {}): Promise<Stack> {
  const env = realEnv();
  const id = randomBytes(4).toString('hex');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `pinpipe-faults-${name}-`));
  const db = `pinpipe_faults_${id}`;
  const admin = await createConnection(env.mysql);
  try {
    await admin.query(`CREATE DATABASE \`${db}\``);
  } finally {
    await admin.end();
  }
  const mysqlUrl = new URL(swapHost(env.mysql, via.mysql));
  mysqlUrl.pathname = `/${db}`;
  const prefix = `pf-${name}-${id}-`;
  const bucket = `pinpipe-faults-${id}`;
  const settings = deepMerge(
    {
      dataDir,
      log: { kind: 'kafka', topicPrefix: prefix, kafka: { brokers: env.brokers, clientId: `pinpipe-faults-${name}` } },
      lake: { kind: 's3', s3: { bucket, endpoint: swapHost(env.s3, via.s3), forcePathStyle: true, createBucket: true } },
      store: { kind: 'mysql', mysql: { url: mysqlUrl.toString(), poolSize: 3 } },
      realtime: { kind: 'redis', redis: { url: swapHost(env.redis, via.redis), keyPrefix: `pf:${id}:` } },
      // consumer groups of their own: Kafka groups are broker-wide, and other test runs use the defaults
      batch: { group: `pinpipe-batch-${id}` },
      stream: { group: `pinpipe-stream-${id}` },
    },
    extra,
  );
  return write(name, 'real', settings, async () => {
    const cfg = loadConfig({ env: {}, flags: { dataDir, 'log.kind': 'kafka', 'log.kafka.brokers': env.brokers, 'lake.kind': 's3', 'lake.s3.bucket': bucket, 'lake.s3.endpoint': env.s3, 'lake.s3.forcePathStyle': true } });
    await dropTopics(cfg, prefix).catch(() => undefined);
    await emptyBucket(cfg).catch(() => undefined);
    const c = await createConnection(env.mysql);
    await c.query(`DROP DATABASE IF EXISTS \`${db}\``).finally(() => c.end());
    const r = new Redis(env.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await r.connect();
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `pf:${id}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await r.del(...keys);
      } while (cursor !== '0');
    } finally {
      r.disconnect();
    }
  });
}

async function dropTopics(cfg: Config, prefix: string): Promise<void> {
  const log = await createLog(cfg);
  const admin = log.admin() as unknown as { listTopics(): Promise<string[]>; deleteTopics(t: string[]): Promise<void>; close(): Promise<void> };
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length) await admin.deleteTopics(mine);
  } finally {
    await admin.close();
  }
}

async function emptyBucket(cfg: Config): Promise<void> {
  const lake = await createLake(cfg);
  try {
    const keys = (await lake.list('')).map((o) => o.key);
    for (let i = 0; i < keys.length; i += 1000) await lake.delete(keys.slice(i, i + 1000));
  } finally {
    await lake.close();
  }
}
