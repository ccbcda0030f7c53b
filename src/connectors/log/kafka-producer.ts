/**
 * Producer of the Kafka log, on @platformatic/kafka (kafka-producer-client.ts; it costs about a
 * third of kafkajs's CPU per record, docs/design.md). Concurrent send() calls are coalesced:
 * messages queue until the next turn of the event loop (or lingerMs, or until a batch is full),
 * then go out in one idempotent produce across topics with acks=-1; while one batch is in flight
 * the next one collects (group commit). An idle producer sends at once: an idempotent producer has
 * one request in flight per broker (a second one would be encoded with the same sequence numbers),
 * so batches form during each round trip, and a fixed linger only added its wait to every round
 * (2 ms cost a third of the API's single-record throughput; BENCHMARKS.md). Each caller resolves
 * once all of its messages are acknowledged by all in-sync replicas, or rejects with a retriable
 * LOG_UNAVAILABLE within sendTimeoutMs.
 *
 * Partitions are chosen here, so that each message's offset is known from the acknowledgement:
 * keyed messages with Kafka's murmur2 partitioner (Java's default, kafkajs's DefaultPartitioner and
 * the embedded log's: partitionForKey), keyless ones round robin.
 *
 * connect() checks the cluster with the kafkajs admin client (as consumers and admin, already
 * loaded), which also reads the partition counts. @platformatic/kafka is loaded (0.3-1.3 s of CPU
 * here, kafka-producer-client.ts) and its producer initialised right after connect() in a process
 * that has no consumer on this log (api, a pre-fill: ready before the first request), and at the
 * first send in one that consumes (consume-batch and consume-stream produce dead letters only: most
 * runs never load it, and their consumption does not pay for it).
 *
 * After any failed batch the client is replaced by a new one (a new producer id): an idempotent
 * producer that lost track of whether a batch was written must not reuse its sequence numbers, or
 * the broker could take the next batch for a duplicate of the lost one.
 */
import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { LogProducer, ProduceMessage, ProduceResult } from './types.js';
import { withTimeout } from './kafka-client.js';
import { topicPartitionCount, type LazyAdmin } from './kafka-admin.js';
import { createProducerClient, toProducerError, type ProducerClient } from './kafka-producer-client.js';
import { partitionForKey } from './embedded-topics.js';

export interface KafkaProducerOptions {
  /** wait this long for more messages when idle; 0 (default): until the next turn of the event loop */
  lingerMs?: number;
  maxBatchMessages?: number;
  /** approximate bytes (characters of keys and values) per batch */
  maxBatchBytes?: number;
  /** a send() that is not acknowledged within this rejects with LOG_UNAVAILABLE */
  sendTimeoutMs?: number;
}

interface Call {
  results: ProduceResult[];
  remaining: number;
  done: boolean;
  resolve: (r: ProduceResult[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Piece {
  call: Call;
  index: number;
  topic: string;
  partition: number;
  /** UTF-8 bytes of the key, encoded once (partitioner and request) */
  key: Buffer | undefined;
  value: string;
  bytes: number;
}

export class KafkaProducer implements LogProducer {
  private readonly lingerMs: number;
  private readonly maxBatchMessages: number;
  private readonly maxBatchBytes: number;
  private readonly sendTimeoutMs: number;
  private client: Promise<ProducerClient> | null = null;
  private broken = false;
  private closed = false;
  private queue: Piece[] = [];
  /** index of the first piece of queue not yet taken */
  private head = 0;
  private queuedBytes = 0;
  private flushing: Promise<void> | null = null;
  private linger: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private readonly partitions = new Map<string, Promise<number>>();
  private roundRobin = 0;
  /** sends between their call and their place in the queue (reading partition counts) */
  private readonly learning = new Set<Promise<unknown>>();

  /**
   * @param consumes whether this process has a consumer on the log; asked once, just after
   * connect() (the roles create their consumer right after connecting their producer)
   */
  constructor(
    private readonly cfg: Config,
    private readonly admin: LazyAdmin,
    private readonly logger: Logger,
    opts: KafkaProducerOptions = {},
    private readonly consumes: () => boolean = () => false,
  ) {
    this.lingerMs = opts.lingerMs ?? 0;
    this.maxBatchMessages = opts.maxBatchMessages ?? 10_000;
    this.maxBatchBytes = opts.maxBatchBytes ?? 512 * 1024;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 5_000;
  }

  async connect(): Promise<void> {
    if (this.closed) throw new PinpipeError('INTERNAL', 'the log producer was closed; create a new one');
    await this.admin.get();
    // a producing process gets its client now, a consuming one at its first send (see above)
    setImmediate(() => {
      if (!this.closed && !this.client && !this.consumes()) this.ensureClient().catch(() => undefined);
    });
  }

  async send(messages: ProduceMessage[]): Promise<ProduceResult[]> {
    if (this.closed) throw new PinpipeError('INTERNAL', 'the log producer was closed; create a new one');
    if (!Array.isArray(messages)) throw new PinpipeError('INTERNAL', 'send(messages): messages must be an array');
    if (messages.length === 0) return [];
    messages.forEach((m, i) => {
      if (typeof m.topic !== 'string' || !m.topic) throw new PinpipeError('INTERNAL', `send: message ${i} has no topic`);
      if (typeof m.value !== 'string') throw new PinpipeError('INTERNAL', `send: message ${i} has no string value`);
      if (m.key !== undefined && m.key !== null && typeof m.key !== 'string') throw new PinpipeError('INTERNAL', `send: message ${i} has a key that is not a string`);
    });
    // close() waits for sends that are still learning partition counts, then delivers them
    const learning = this.partitionCounts(messages);
    this.learning.add(learning);
    let counts: Map<string, number>;
    try {
      counts = await learning;
    } finally {
      this.learning.delete(learning);
    }

    return new Promise<ProduceResult[]>((resolve, reject) => {
      const call: Call = { results: new Array(messages.length), remaining: messages.length, done: false, resolve, reject, timer: undefined as unknown as NodeJS.Timeout };
      call.timer = setTimeout(() => this.fail(call, new PinpipeError('LOG_UNAVAILABLE', `Kafka did not acknowledge ${messages.length} record(s) within ${this.sendTimeoutMs} ms`, { retriable: true })), this.sendTimeoutMs);
      messages.forEach((m, index) => {
        const count = counts.get(m.topic)!;
        const key = m.key === undefined || m.key === null ? undefined : Buffer.from(m.key);
        // explicit partitions: stable across retries, and each offset follows from its partition's base offset
        const partition = key !== undefined ? partitionForKey(key, count) : this.roundRobin++ % count;
        const bytes = m.value.length + (key?.length ?? 0) + 64;
        this.queue.push({ call, index, topic: m.topic, partition, key, value: m.value, bytes });
        this.queuedBytes += bytes;
      });
      this.schedule();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelLinger();
    await Promise.allSettled([...this.learning]);
    // deliver what is queued (each caller is bounded by its own time-out)
    while (this.queue.length > this.head || this.flushing) {
      if (!this.flushing) this.flushing = this.flushLoop();
      await this.flushing;
    }
    const c = this.client;
    this.client = null;
    if (c) await c.then((x) => withTimeout(x.close(), 5_000, 'closing the Kafka producer')).catch(() => undefined);
    await this.admin.close();
  }

  private async partitionCounts(messages: ProduceMessage[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const t of new Set(messages.map((m) => m.topic))) counts.set(t, await this.partitionCount(t));
    return counts;
  }

  private partitionCount(topic: string): Promise<number> {
    let p = this.partitions.get(topic);
    if (!p) {
      p = topicPartitionCount(this.admin, topic);
      this.partitions.set(topic, p);
      p.catch(() => this.partitions.delete(topic));
    }
    return p;
  }

  private schedule(): void {
    if (this.flushing) return; // the loop picks the queue up when the batch in flight is acknowledged
    if (this.queuedBytes >= this.maxBatchBytes || this.queue.length - this.head >= this.maxBatchMessages) {
      this.cancelLinger();
      this.flushing = this.flushLoop();
    } else if (!this.linger) {
      const go = (): void => {
        this.linger = null;
        if (!this.flushing) this.flushing = this.flushLoop();
      };
      this.linger = this.lingerMs > 0 ? setTimeout(go, this.lingerMs) : setImmediate(go);
    }
  }

  private cancelLinger(): void {
    if (this.linger && this.lingerMs > 0) clearTimeout(this.linger as NodeJS.Timeout);
    else if (this.linger) clearImmediate(this.linger as NodeJS.Immediate);
    this.linger = null;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > this.head) await this.flushOnce(this.takeBatch());
    } finally {
      this.flushing = null;
    }
  }

  private takeBatch(): Piece[] {
    const batch: Piece[] = [];
    let bytes = 0;
    let i = this.head;
    for (; i < this.queue.length; i++) {
      const p = this.queue[i]!;
      if (!p.call.done && batch.length > 0 && (batch.length >= this.maxBatchMessages || bytes + p.bytes > this.maxBatchBytes)) break;
      this.queuedBytes -= p.bytes;
      if (p.call.done) continue; // its caller gave up: drop it
      batch.push(p);
      bytes += p.bytes;
    }
    this.head = i;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private async flushOnce(batch: Piece[]): Promise<void> {
    if (batch.length === 0) return;
    let offsets: { topic: string; partition: number; offset: bigint }[];
    try {
      const client = await this.ensureClient();
      const messages = batch.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        key: p.key,
        value: Buffer.from(p.value),
      }));
      offsets = (await client.send({ messages })).offsets ?? [];
    } catch (e) {
      this.broken = true;
      const err = toProducerError(e, `writing ${batch.length} record(s) to Kafka`);
      if (err.code === 'NOT_FOUND') for (const p of batch) this.partitions.delete(p.topic);
      for (const p of batch) this.fail(p.call, err);
      return;
    }
    const base = new Map<string, number>();
    for (const o of offsets) base.set(`${o.topic}:${o.partition}`, Number(o.offset));
    const next = new Map<string, number>();
    for (const p of batch) {
      const k = `${p.topic}:${p.partition}`;
      const first = base.get(k);
      if (first === undefined) {
        this.fail(p.call, new PinpipeError('INTERNAL', `Kafka acknowledged no offset for ${k}`));
        continue;
      }
      const n = next.get(k) ?? 0;
      next.set(k, n + 1);
      if (p.call.done) continue;
      p.call.results[p.index] = { topic: p.topic, partition: p.partition, offset: first + n };
      if (--p.call.remaining === 0) {
        p.call.done = true;
        clearTimeout(p.call.timer);
        p.call.resolve(p.call.results);
      }
    }
  }

  private fail(call: Call, err: Error): void {
    if (call.done) return;
    call.done = true;
    clearTimeout(call.timer);
    call.reject(err);
  }

  private ensureClient(): Promise<ProducerClient> {
    if (this.broken) {
      this.broken = false;
      const old = this.client;
      this.client = null;
      if (old) this.client = old.then((c) => withTimeout(c.close(), 2_000, 'closing the Kafka producer')).catch(() => undefined).then(() => this.newClient());
    }
    if (!this.client) this.client = this.newClient();
    const c = this.client;
    c.catch(() => {
      if (this.client === c) this.client = null; // try again on the next batch
    });
    return c;
  }

  /** a client with its producer id (the idempotent producer's InitProducerId), within sendTimeoutMs */
  private async newClient(): Promise<ProducerClient> {
    const client = await createProducerClient(this.cfg).catch((e: unknown) => {
      throw toProducerError(e, 'loading the Kafka producer client');
    });
    try {
      await withTimeout(client.initIdempotentProducer({}), this.sendTimeoutMs, 'connecting the Kafka producer');
    } catch (e) {
      await client.close().catch(() => undefined);
      throw toProducerError(e, 'connecting the Kafka producer');
    }
    this.logger.debug('Kafka producer connected', { producerId: String(client.producerId) });
    return client;
  }
}
