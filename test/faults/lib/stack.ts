/**
 * The two stacks a fault test runs on, each private to the test: the embedded stack (a temp data
 * dir) and the real stack (Kafka topics with a random prefix, an S3 bucket, a MySQL database and a
 * Redis key prefix of its own, from the services of scripts/services-up.sh). Each stack is one
 * JSON config file for the children (--config) and the same Config for the test process.
 * `via` lets a test route MySQL, Redis or S3 through a fault proxy (lib/tcp-proxy.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../../src/core/config.js';
import { privateBucket, privateDatabase, privateRedisPrefix, privateTopicPrefix, services, uid } from '../../support/services.js';

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

/** the services' settings (TEST_*) */
export const realEnv = services;

function deepMerge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev) ? deepMerge(prev as Json, v as Json) : v;
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
  const id = uid();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `pinpipe-faults-${name}-`));
  const db = await privateDatabase('pinpipe_faults');
  const mysqlUrl = new URL(swapHost(db.url, via.mysql));
  const topics = privateTopicPrefix(`pf-${name}`);
  const bucket = privateBucket('pinpipe-faults');
  const keys = privateRedisPrefix('pf');
  const settings = deepMerge(
    {
      dataDir,
      log: { kind: 'kafka', topicPrefix: topics.prefix, kafka: { brokers: env.brokers, clientId: `pinpipe-faults-${name}` } },
      lake: { kind: 's3', s3: { bucket: bucket.bucket, endpoint: swapHost(env.s3, via.s3), forcePathStyle: true, createBucket: true } },
      store: { kind: 'mysql', mysql: { url: mysqlUrl.toString(), poolSize: 3 } },
      realtime: { kind: 'redis', redis: { url: swapHost(env.redis, via.redis), keyPrefix: keys.prefix } },
      // consumer groups of their own: Kafka groups are broker-wide, and other test runs use the defaults
      batch: { group: `pinpipe-batch-${id}` },
      stream: { group: `pinpipe-stream-${id}` },
    },
    extra,
  );
  return write(name, 'real', settings, async () => {
    const drops = await Promise.allSettled([topics.drop().catch(() => undefined), bucket.drop().catch(() => undefined), db.drop(), keys.drop()]);
    const failed = drops.find((d): d is PromiseRejectedResult => d.status === 'rejected');
    if (failed) throw failed.reason;
  });
}
