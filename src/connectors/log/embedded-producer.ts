/** Producer of the embedded log: validates, partitions, and hands records to the partition writers. */
import { mkdirSync } from 'node:fs';
import { PinpipeError } from '../../core/errors.js';
import type { LogProducer, ProduceMessage, ProduceResult } from './types.js';
import { MAX_BODY_BYTES } from './embedded-frame.js';
import { partitionDirOf } from './embedded-files.js';
import { partitionForKey, type TopicMeta, type TopicRegistry } from './embedded-topics.js';
import { PartitionWriter } from './embedded-writer.js';

/** Writers shared by every producer of one EmbeddedLog, so that their sends are group-committed together. */
export class WriterPool {
  private readonly writers = new Map<string, PartitionWriter>();
  private readonly roundRobin = new Map<string, number>();
  private users = 0;

  constructor(
    readonly logDir: string,
    readonly topics: TopicRegistry,
  ) {}

  writer(topic: string, meta: TopicMeta, partition: number): PartitionWriter {
    const k = `${topic}:${partition}`;
    let w = this.writers.get(k);
    if (!w) {
      const dir = partitionDirOf(this.logDir, topic, partition);
      try {
        mkdirSync(dir, { recursive: true });
      } catch (e) {
        throw new PinpipeError(
          'LOG_UNAVAILABLE',
          `cannot create log partition ${topic}/${partition} (${dir}): ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
          { retriable: true, cause: e },
        );
      }
      w = new PartitionWriter(dir, meta, `${topic}/${partition}`);
      this.writers.set(k, w);
    }
    return w;
  }

  nextRoundRobin(topic: string, partitions: number): number {
    const n = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, (n + 1) % partitions);
    return n % partitions;
  }

  acquire(): void {
    this.users++;
  }

  /** When the last producer closes, close the files (writers reopen them lazily if used again). */
  async release(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return;
    const all = [...this.writers.values()];
    this.writers.clear();
    await Promise.all(all.map((w) => w.close()));
  }
}

interface Group {
  topic: string;
  partition: number;
  meta: TopicMeta;
  idx: number[];
  keys: (Buffer | null)[];
  values: string[];
  valueBytes: number[];
}

export class EmbeddedProducer implements LogProducer {
  private state: 'new' | 'open' | 'closed' = 'new';
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly pool: WriterPool) {}

  async connect(): Promise<void> {
    if (this.state === 'closed') throw new PinpipeError('INTERNAL', 'the log producer was closed; create a new one');
    if (this.state === 'new') {
      try {
        mkdirSync(this.pool.logDir, { recursive: true });
      } catch (e) {
        throw new PinpipeError('LOG_UNAVAILABLE', `cannot create the log directory ${this.pool.logDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
          retriable: true,
          cause: e,
        });
      }
      this.pool.acquire();
      this.state = 'open';
    }
  }

  async send(messages: ProduceMessage[]): Promise<ProduceResult[]> {
    if (this.state !== 'open') await this.connect();
    const p = this.doSend(messages);
    this.inFlight.add(p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  private async doSend(messages: ProduceMessage[]): Promise<ProduceResult[]> {
    if (!Array.isArray(messages)) throw new PinpipeError('INTERNAL', 'send(messages): messages must be an array');
    const metas = new Map<string, TopicMeta>();
    for (const m of messages) {
      if (!metas.has(m.topic)) metas.set(m.topic, await this.pool.topics.ensure(m.topic));
    }
    const groups = new Map<string, Group>();
    messages.forEach((m, i) => {
      if (typeof m.value !== 'string') throw new PinpipeError('INTERNAL', `send: message ${i} has no string value`);
      if (m.key !== undefined && m.key !== null && typeof m.key !== 'string')
        throw new PinpipeError('INTERNAL', `send: message ${i} has a key that is not a string`);
      const meta = metas.get(m.topic)!;
      const key = m.key === undefined || m.key === null ? null : Buffer.from(m.key, 'utf8');
      // the value goes into the frame as UTF-8 directly (no Buffer per record)
      const valueBytes = Buffer.byteLength(m.value, 'utf8');
      if (valueBytes + (key?.length ?? 0) > MAX_BODY_BYTES - 64) {
        throw new PinpipeError(
          'RECORD_INVALID',
          `send: message ${i} for topic ${m.topic} is ${valueBytes} bytes, over the embedded log's limit of ${MAX_BODY_BYTES - 64}`,
        );
      }
      const partition = key ? partitionForKey(key, meta.partitions) : this.pool.nextRoundRobin(m.topic, meta.partitions);
      const gk = `${m.topic}:${partition}`;
      let g = groups.get(gk);
      if (!g) groups.set(gk, (g = { topic: m.topic, partition, meta, idx: [], keys: [], values: [], valueBytes: [] }));
      g.idx.push(i);
      g.keys.push(key);
      g.values.push(m.value);
      g.valueBytes.push(valueBytes);
    });
    const results: ProduceResult[] = new Array(messages.length);
    await Promise.all(
      [...groups.values()].map(async (g) => {
        const first = await this.pool.writer(g.topic, g.meta, g.partition).append(g.keys, g.values, g.valueBytes);
        g.idx.forEach((i, j) => (results[i] = { topic: g.topic, partition: g.partition, offset: first + j }));
      }),
    );
    return results;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    await Promise.allSettled([...this.inFlight]);
    if (wasOpen) await this.pool.release();
  }
}
