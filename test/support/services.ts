/**
 * The real services of scripts/services-up.sh (TEST_* variables, set by scripts/test.sh) and the
 * private resources tests make on them: a database, a bucket, a Redis key prefix, a topic prefix,
 * each with a random name and a drop() that removes it. Tests on the shared services never touch
 * each other's data.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { KafkaLog } from '../../src/connectors/log/kafka.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';

export type ServiceVar = 'TEST_KAFKA_BROKERS' | 'TEST_S3_ENDPOINT' | 'TEST_MYSQL_URL' | 'TEST_REDIS_URL';

/** a TEST_* setting of the services, or an error saying how to get it */
export function need(name: ServiceVar): string {
  const v = process.env[name];
  if (!v)
    throw new Error(
      `${name} is not set: run the suite with \`npm test\`, or start the services with \`npm run services:up\` and export the TEST_* variables (see scripts/test.sh) before running jest directly`,
    );
  return v;
}

/** TEST_KAFKA_BROKERS as a list */
export const brokers = (): string[] =>
  need('TEST_KAFKA_BROKERS')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const services = () => ({
  brokers: brokers(),
  s3: need('TEST_S3_ENDPOINT'),
  mysql: need('TEST_MYSQL_URL'),
  redis: need('TEST_REDIS_URL'),
});

/** a random hex id */
export const uid = (bytes = 4): string => randomBytes(bytes).toString('hex');

/** a temporary directory (a data dir) and its removal */
export function tmpDir(label = 'pinpipe-'): { dir: string; drop(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), label));
  return { dir, drop: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface PrivateDatabase {
  name: string;
  /** TEST_MYSQL_URL with the private database */
  url: string;
  drop(): Promise<void>;
}

/** a MySQL database of its own (`<prefix>_<random>`), dropped by drop() */
export async function privateDatabase(prefix = 'pinpipe_test'): Promise<PrivateDatabase> {
  const base = need('TEST_MYSQL_URL');
  const name = `${prefix}_${uid(5)}`;
  const admin = await createConnection(base);
  try {
    await admin.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await admin.end();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    drop: async () => {
      const c = await createConnection(base);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``).finally(() => c.end());
    },
  };
}

export interface PrivateBucket {
  bucket: string;
  endpoint: string;
  /** removes every object, then the bucket (either may not exist) */
  drop(): Promise<void>;
}

/** an S3 bucket name of its own on TEST_S3_ENDPOINT (pinpipe creates it: lake.s3.createBucket) */
export function privateBucket(prefix = 'pinpipe-test'): PrivateBucket {
  const endpoint = need('TEST_S3_ENDPOINT');
  const bucket = `${prefix}-${uid(6)}`;
  return {
    bucket,
    endpoint,
    drop: async () => {
      const c = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true });
      try {
        for (;;) {
          const page = await c.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => null);
          if (!page?.Contents?.length) break;
          await c.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: page.Contents.map((o) => ({ Key: o.Key! })) } }));
        }
        await c.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      } finally {
        c.destroy();
      }
    },
  };
}

export interface PrivatePrefix {
  prefix: string;
  drop(): Promise<void>;
}

/** a Redis key prefix of its own (`<prefix>:<random>:`) on TEST_REDIS_URL; drop() deletes its keys */
export function privateRedisPrefix(prefix = 'pinpipe-test'): PrivatePrefix & { url: string } {
  const url = need('TEST_REDIS_URL');
  const mine = `${prefix}:${uid(6)}:`;
  return {
    url,
    prefix: mine,
    drop: async () => {
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await r.connect();
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${mine}*`, 'COUNT', 1000);
          if (keys.length) await r.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        r.disconnect();
      }
    },
  };
}

/** a Kafka topic prefix of its own (`<prefix>-<random>-`) on TEST_KAFKA_BROKERS; drop() deletes the topics named with it */
export function privateTopicPrefix(prefix = 'pt'): PrivatePrefix & { brokers: string[] } {
  const list = brokers();
  const mine = `${prefix}-${uid()}-`;
  return {
    brokers: list,
    prefix: mine,
    drop: async () => {
      const dataDir = tmpDir('pinpipe-kafka-drop-');
      const log = new KafkaLog(loadConfig({ env: {}, flags: { dataDir: dataDir.dir, 'log.kind': 'kafka', 'log.kafka.brokers': list } }), {
        logger: createLogger({ level: 'error' }),
      });
      const admin = log.admin();
      try {
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(mine));
        if (topics.length) await admin.deleteTopics(topics);
      } finally {
        await admin.close();
        dataDir.drop();
      }
    },
  };
}

type Flags = Record<string, unknown>;

/** a Config for an S3 lake on a private bucket (created on first use) with a temp data dir; drop() removes both */
export function s3LakeConfig(extra: Flags = {}): { cfg: Config; bucket: PrivateBucket; drop(): Promise<void> } {
  const bucket = privateBucket();
  const data = tmpDir('pinpipe-s3lake-');
  const cfg = loadConfig({
    env: {},
    flags: {
      dataDir: data.dir,
      'lake.kind': 's3',
      'lake.s3.bucket': bucket.bucket,
      'lake.s3.endpoint': bucket.endpoint,
      'lake.s3.forcePathStyle': true,
      'lake.s3.createBucket': true,
      ...extra,
    },
  });
  return { cfg, bucket, drop: () => bucket.drop().finally(() => data.drop()) };
}

/** a Config for the Redis realtime store on a private key prefix; drop() deletes its keys */
export function redisConfig(extra: Flags = {}): { cfg: Config; prefix: string; drop(): Promise<void> } {
  const p = privateRedisPrefix();
  const cfg = loadConfig({ env: {}, flags: { 'realtime.redis.url': p.url, 'realtime.redis.keyPrefix': p.prefix, ...extra } });
  return { cfg, prefix: p.prefix, drop: p.drop };
}

/** a Config for the MySQL serving store on a private database; drop() drops it */
export async function mysqlConfig(extra: Flags = {}): Promise<{ cfg: Config; db: PrivateDatabase; drop(): Promise<void> }> {
  const db = await privateDatabase();
  const cfg = loadConfig({ env: {}, flags: { 'store.mysql.url': db.url, 'store.mysql.poolSize': 3, ...extra } });
  return { cfg, db, drop: db.drop };
}
