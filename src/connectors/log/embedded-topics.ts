/**
 * Topics of the embedded log: created on demand with the configured partition count, which is
 * then fixed in the topic's meta.json (written atomically). Also the partitioner.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../core/errors.js';
import { withLock } from '../../core/lockfile.js';
import { checkTopicName, fsyncDirSync, partitionDirOf, topicDirOf, writeFileAtomic } from './embedded-files.js';

export interface TopicMeta {
  format: 1;
  partitions: number;
  /** a partition rolls to a new segment once its active segment has reached this size */
  segmentBytes: number;
  /** a sparse index entry at least every this many bytes */
  indexIntervalBytes: number;
  createdAt: string;
}

export interface TopicDefaults {
  partitions: number;
  segmentBytes: number;
  indexIntervalBytes: number;
}

function parseMeta(file: string, text: string): TopicMeta {
  let m: Partial<TopicMeta>;
  try {
    m = JSON.parse(text) as Partial<TopicMeta>;
  } catch {
    throw new PinpipeError('INTERNAL', `log topic metadata ${file} is not valid JSON`);
  }
  const okInt = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (m.format !== 1 || !okInt(m.partitions, 1) || !okInt(m.segmentBytes, 1) || !okInt(m.indexIntervalBytes, 1)) {
    throw new PinpipeError('INTERNAL', `log topic metadata ${file} is not a format-1 topic description`);
  }
  return m as TopicMeta;
}

export class TopicRegistry {
  private readonly cache = new Map<string, TopicMeta>();
  private readonly creating = new Map<string, Promise<TopicMeta>>();

  constructor(
    readonly logDir: string,
    private readonly defaults: TopicDefaults,
  ) {}

  /** The topic's metadata, or null if it does not exist (yet). */
  get(topic: string): TopicMeta | null {
    const hit = this.cache.get(topic);
    if (hit) return hit;
    checkTopicName(topic);
    const file = path.join(topicDirOf(this.logDir, topic), 'meta.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new PinpipeError('LOG_UNAVAILABLE', `cannot read log topic metadata ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        retriable: true,
      });
    }
    const meta = parseMeta(file, text);
    this.cache.set(topic, meta);
    return meta;
  }

  require(topic: string): TopicMeta {
    const meta = this.get(topic);
    if (!meta) throw new PinpipeError('NOT_FOUND', `log topic ${JSON.stringify(topic)} does not exist in ${this.logDir}`);
    return meta;
  }

  /** The topic's metadata, creating the topic if it is missing (safe across processes). */
  async ensure(topic: string): Promise<TopicMeta> {
    const have = this.get(topic);
    if (have) return have;
    let pending = this.creating.get(topic);
    if (!pending) {
      pending = this.create(topic).finally(() => this.creating.delete(topic));
      this.creating.set(topic, pending);
    }
    return pending;
  }

  private async create(topic: string): Promise<TopicMeta> {
    try {
      mkdirSync(this.logDir, { recursive: true });
      await withLock(path.join(this.logDir, `.create-${topic}.lock`), async () => {
        if (this.get(topic)) return;
        const dir = topicDirOf(this.logDir, topic);
        mkdirSync(dir, { recursive: true });
        const meta: TopicMeta = { format: 1, ...this.defaults, createdAt: new Date().toISOString() };
        for (let p = 0; p < meta.partitions; p++) mkdirSync(partitionDirOf(this.logDir, topic, p), { recursive: true });
        await writeFileAtomic(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
        fsyncDirSync(this.logDir);
      });
    } catch (e) {
      if (e instanceof PinpipeError) throw new PinpipeError('LOG_UNAVAILABLE', `cannot create log topic ${topic}: ${e.message}`, { retriable: true, cause: e });
      throw new PinpipeError('LOG_UNAVAILABLE', `cannot create log topic ${topic} in ${this.logDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        retriable: true,
        cause: e,
      });
    }
    return this.require(topic);
  }

  exists(topic: string): boolean {
    return this.cache.has(topic) || existsSync(path.join(topicDirOf(this.logDir, topic), 'meta.json'));
  }
}

/** Kafka's murmur2 (the same as the Java client and kafkajs' default partitioner). */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const len = data.length;
  let h = 0x9747b28c ^ len;
  const len4 = len & ~3;
  for (let i = 0; i < len4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = len & 3;
  if (rest === 3) h ^= data[len4 + 2]! << 16;
  if (rest >= 2) h ^= data[len4 + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[len4]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Partition of a keyed record: the same as Kafka's default partitioner for the same count. */
export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
