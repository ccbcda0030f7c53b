/**
 * The realtime store on Redis (ioredis). Key layout (P = realtime.redis.keyPrefix, default
 * `pinpipe:`):
 *
 *   P rt:<metric>:<minute ISO>   hash: field = key ('' without key columns and for a null key;
 *                                a JSON array of texts with several key columns),
 *                                value = JSON {"v": {<value column>: number|null}, "f": final}
 *                                e.g. `pinpipe:rt:R1:2026-11-27T10:05:00.000Z` field `art` →
 *                                `{"v":{"postings":3},"f":false}`
 *   P rt:<metric>:minutes         sorted set of the metric's window minutes (member = minute ISO,
 *                                score = epoch ms), for range reads
 *   P checkpoint:<group>          string: the stream group's checkpoint JSON
 *
 * commit() is one MULTI/EXEC transaction (rows, minute index and checkpoint applied together or
 * not at all). Rows are absolute values set with HSET, so a replay is idempotent. Retention: every
 * window hash and minute index gets PEXPIRE realtime.redis.windowTtl on each write, and minutes
 * older than (newest minute of the commit − windowTtl) are trimmed from the index. Checkpoints do
 * not expire. A single Redis node (or a primary) is assumed; keys are not hash-tagged for Cluster.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../../core/config.js';
import { PinpipeError, isPinpipeError } from '../../core/errors.js';
import { Shapes, byMinuteKey, canonicalMinute, checkCheckpoint, checkGroup, checkWindowRow, rangeBound } from './rows.js';
import type { Checkpoint, RealtimeShape, RealtimeStore, WindowRow } from './types.js';

const READ_CHUNK = 500;

export class RedisRealtime implements RealtimeStore {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly where: string;
  private lastError?: string;
  private wasReady = false;
  private readonly shapes = new Shapes();

  constructor(cfg: Config) {
    const rc = cfg.realtime.redis;
    this.prefix = rc.keyPrefix;
    this.ttl = rc.windowTtl;
    this.where = describe(rc.url);
    const opts: RedisOptions = {
      lazyConnect: true,
      connectTimeout: 5_000,
      maxRetriesPerRequest: 3,
      // reconnect with backoff after a lost connection; a failed connect() fails at once instead
      retryStrategy: (times) => (this.wasReady ? Math.min(50 * 2 ** times, 2_000) : null),
    };
    if (rc.tls || rc.url.startsWith('rediss://')) {
      try {
        opts.tls = rc.tlsCaFile ? { ca: readFileSync(rc.tlsCaFile) } : {};
      } catch (e) {
        throw new PinpipeError('CONFIG_INVALID', `realtime.redis.tlsCaFile: cannot read ${rc.tlsCaFile}: ${(e as NodeJS.ErrnoException).code ?? e}`);
      }
    }
    this.redis = new Redis(rc.url, opts);
    this.redis.on('ready', () => (this.wasReady = true));
    this.redis.on('error', (e: Error) => {
      this.lastError = e.message; // reported by the failing operation; no unhandled 'error' event
    });
  }

  private hashKey = (metric: string, minute: string) => `${this.prefix}rt:${metric}:${minute}`;
  private indexKey = (metric: string) => `${this.prefix}rt:${metric}:minutes`;
  private checkpointKey = (group: string) => `${this.prefix}checkpoint:${group}`;

  private async op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isPinpipeError(e)) throw e;
      const msg = (e as Error)?.message ?? String(e);
      const extra = this.lastError && this.lastError !== msg ? ` (last connection error: ${this.lastError})` : '';
      throw new PinpipeError('REALTIME_UNAVAILABLE', `redis ${what} at ${this.where} failed: ${msg}${extra}`, { retriable: true, cause: e });
    }
  }

  async connect(metrics?: RealtimeShape[]): Promise<void> {
    if (metrics) this.shapes.set(metrics);
    await this.op('connect', async () => {
      if (this.redis.status === 'wait' || this.redis.status === 'end') await this.redis.connect();
      await this.redis.ping();
    });
  }

  /** the server answers PING (connecting first when needed) */
  async health(): Promise<void> {
    await this.op('health check', async () => {
      if (this.redis.status === 'wait' || this.redis.status === 'end') await this.redis.connect();
      await this.redis.ping();
    });
  }

  async commit(group: string, checkpoint: Checkpoint, rows: WindowRow[]): Promise<void> {
    const cpKey = this.checkpointKey(checkGroup(group));
    const cpJson = JSON.stringify(checkCheckpoint(checkpoint));
    // metric → minute → field → value
    const byMetric = new Map<string, Map<string, Map<string, string>>>();
    for (const r of rows) {
      const row = checkWindowRow(this.shapes.get(r.metric), r);
      let minutes = byMetric.get(row.metric);
      if (!minutes) byMetric.set(row.metric, (minutes = new Map()));
      let fields = minutes.get(row.minute);
      if (!fields) minutes.set(row.minute, (fields = new Map()));
      fields.set(row.key, JSON.stringify({ v: row.values, f: row.final }));
    }
    await this.op('commit', async () => {
      const tx = this.redis.multi();
      for (const [metric, minutes] of byMetric) {
        let newest = -Infinity;
        for (const [minute, fields] of minutes) {
          const key = this.hashKey(metric, minute);
          const ms = Date.parse(minute);
          newest = Math.max(newest, ms);
          tx.hset(key, ...[...fields].flat());
          tx.pexpire(key, this.ttl);
          tx.zadd(this.indexKey(metric), ms, minute);
        }
        tx.pexpire(this.indexKey(metric), this.ttl);
        tx.zremrangebyscore(this.indexKey(metric), '-inf', `(${newest - this.ttl}`);
      }
      tx.set(cpKey, cpJson);
      const results = await tx.exec();
      if (!results) throw new Error('transaction aborted');
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }

  async loadCheckpoint(group: string): Promise<Checkpoint | null> {
    const key = this.checkpointKey(checkGroup(group));
    const text = await this.op('load checkpoint', () => this.redis.get(key));
    return text === null ? null : (JSON.parse(text) as Checkpoint);
  }

  async read(metric: string, range: { from?: string; to?: string } = {}): Promise<WindowRow[]> {
    this.shapes.get(metric);
    const min = range.from === undefined ? '-inf' : String(rangeBound(range.from).ms);
    const max = range.to === undefined ? '+inf' : `(${rangeBound(range.to).ms}`;
    return this.op(`read ${metric}`, async () => {
      const minutes = await this.redis.zrangebyscore(this.indexKey(metric), min, max);
      const out: WindowRow[] = [];
      for (let i = 0; i < minutes.length; i += READ_CHUNK) {
        const chunk = minutes.slice(i, i + READ_CHUNK);
        const tx = this.redis.pipeline();
        for (const m of chunk) tx.hgetall(this.hashKey(metric, m));
        const results = (await tx.exec()) ?? [];
        chunk.forEach((minute, j) => {
          const [err, hash] = results[j] ?? [new Error('no reply')];
          if (err) throw err;
          const rows: WindowRow[] = [];
          for (const [key, json] of Object.entries((hash ?? {}) as Record<string, string>)) {
            const { v, f } = JSON.parse(json) as { v: Record<string, number | null>; f: boolean };
            rows.push({ metric, minute: canonicalMinute(minute).iso, key, values: v, final: f });
          }
          out.push(...rows.sort(byMinuteKey));
        });
      }
      return out;
    });
  }

  async reset(metric: string): Promise<void> {
    this.shapes.get(metric);
    const index = this.indexKey(metric);
    await this.op(`reset ${metric}`, async () => {
      const minutes = await this.redis.zrange(index, 0, -1);
      for (let i = 0; i < minutes.length; i += READ_CHUNK) await this.redis.del(...minutes.slice(i, i + READ_CHUNK).map((m) => this.hashKey(metric, m)));
      await this.redis.del(index);
    });
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    if (this.redis.status !== 'ready') {
      this.redis.disconnect(); // also stops reconnect attempts
      return;
    }
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

/** host:port of a redis URL, never its credentials. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return '(invalid redis url)';
  }
}
