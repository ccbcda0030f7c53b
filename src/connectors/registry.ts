/**
 * The one place that turns configuration into connectors. Implementations are imported lazily so
 * that an embedded run never loads kafkajs, the AWS SDK, mysql2 or ioredis.
 */
import type { Config } from '../core/config.js';
import type { Log } from './log/types.js';
import type { Lake } from './lake/types.js';
import type { ServingStore } from './store/types.js';
import type { RealtimeStore } from './realtime/types.js';

// TODO(lead): drop the `as unknown as` casts once every implementation has landed.
export async function createLog(cfg: Config): Promise<Log> {
  if (cfg.log.kind === 'kafka') return new (await import('./log/kafka.js')).KafkaLog(cfg) as unknown as Log;
  return new (await import('./log/embedded.js')).EmbeddedLog(cfg);
}

export async function createLake(cfg: Config): Promise<Lake> {
  if (cfg.lake.kind === 's3') return new (await import('./lake/s3.js')).S3Lake(cfg);
  return new (await import('./lake/local.js')).LocalLake(cfg);
}

export async function createStore(cfg: Config): Promise<ServingStore> {
  if (cfg.store.kind === 'mysql') return new (await import('./store/mysql.js')).MysqlStore(cfg);
  return new (await import('./store/embedded.js')).EmbeddedStore(cfg);
}

export async function createRealtime(cfg: Config): Promise<RealtimeStore> {
  if (cfg.realtime.kind === 'redis') return new (await import('./realtime/redis.js')).RedisRealtime(cfg);
  return new (await import('./realtime/embedded.js')).EmbeddedRealtime(cfg);
}
