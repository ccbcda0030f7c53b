/**
 * The one place that turns configuration into connectors: per kind, a table from the kind's
 * setting (`log.kind`, `lake.kind`, ...) to a factory. Implementations are imported lazily so that
 * an embedded run never loads kafkajs, the AWS SDK, mysql2 or ioredis. A new implementation is one
 * line here (and a value of its kind's setting in src/core/config.ts); a new kind is a folder
 * `<kind>/` (types.ts, one file per implementation named by its setting's value), a table here and
 * a conformance suite in test/conformance/.
 */
import type { Config } from '../core/config.js';
import type { Log } from './log/types.js';
import type { Lake } from './lake/types.js';
import type { ServingStore } from './store/types.js';
import type { RealtimeStore } from './realtime/types.js';
import type { Source } from './source/types.js';

type Factories<K extends string, T> = Record<K, (cfg: Config) => Promise<T>>;

const LOGS: Factories<Config['log']['kind'], Log> = {
  embedded: async (cfg) => new (await import('./log/embedded.js')).EmbeddedLog(cfg),
  kafka: async (cfg) => new (await import('./log/kafka.js')).KafkaLog(cfg),
};

const LAKES: Factories<Config['lake']['kind'], Lake> = {
  local: async (cfg) => new (await import('./lake/local.js')).LocalLake(cfg),
  s3: async (cfg) => new (await import('./lake/s3.js')).S3Lake(cfg),
};

const STORES: Factories<Config['store']['kind'], ServingStore> = {
  embedded: async (cfg) => new (await import('./store/embedded.js')).EmbeddedStore(cfg),
  mysql: async (cfg) => new (await import('./store/mysql.js')).MysqlStore(cfg),
};

const REALTIMES: Factories<Config['realtime']['kind'], RealtimeStore> = {
  embedded: async (cfg) => new (await import('./realtime/embedded.js')).EmbeddedRealtime(cfg),
  redis: async (cfg) => new (await import('./realtime/redis.js')).RedisRealtime(cfg),
};

export const createLog = (cfg: Config): Promise<Log> => LOGS[cfg.log.kind](cfg);
export const createLake = (cfg: Config): Promise<Lake> => LAKES[cfg.lake.kind](cfg);
export const createStore = (cfg: Config): Promise<ServingStore> => STORES[cfg.store.kind](cfg);
export const createRealtime = (cfg: Config): Promise<RealtimeStore> => REALTIMES[cfg.realtime.kind](cfg);

/** Where `pinpipe emulate` reads postings (its flags, not the config, choose it). */
export type SourceSpec = { kind: 'generator'; seed: number; rows: number } | { kind: 'mysql'; url: string };

export async function createSource(spec: SourceSpec): Promise<Source> {
  if (spec.kind === 'mysql') return new (await import('./source/mysql.js')).MysqlSource(spec.url);
  return new (await import('./source/generator.js')).GeneratorSource({ seed: spec.seed, rows: spec.rows });
}
