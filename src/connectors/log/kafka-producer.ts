/**
 * Producer of the Kafka log. Concurrent send() calls are coalesced: messages queue until the next
 * turn of the event loop (or lingerMs, or until a batch is full), then go out in one idempotent
 * sendBatch across topics with acks=-1; while one batch is in flight the next one collects (group
 * commit). An idle producer sends at once: kafkajs allows an idempotent producer one request in
 * flight, so batches form during each round trip, and a fixed linger only added its wait to every
 * round (2 ms cost a third of the API's single-record throughput; BENCHMARKS.md). Each caller resolves once all of its
 * messages are acknowledged by all in-sync replicas, or rejects with a retriable LOG_UNAVAILABLE
 * within sendTimeoutMs.
 *
 * After any failed batch the kafkajs producer is replaced by a new one (a new producer id): an
 * idempotent producer that lost track of whether a batch was written must not reuse its sequence
 * numbers, or the broker could take the next batch for a duplicate of the lost one.
 */
import { Partitioners, type Kafka, type Message, type Producer, type RecordMetadata } from 'kafkajs';
import { PinpipeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { LogProducer, ProduceMessage, ProduceResult } from './types.js';
import { toLogError, withTimeout } from './kafka-client.js';
import { topicPartitionCount, type LazyAdmin } from './kafka-admin.js';

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
  message: Message;
  bytes: number;
}

const ACK_TIMEOUT_MS = 4_000;

export class KafkaProducer implements LogProducer {
  private readonly lingerMs: number;
  private readonly maxBatchMessages: number;
  private readonly maxBatchBytes: number;
  private readonly sendTimeoutMs: number;
  private producer: Promise<Producer> | null = null;
  private broken = false;
  private closed = false;
  private queue: Piece[] = [];
  /** index of the first piece of queue not yet taken */
  private head = 0;
  private queuedBytes = 0;
  private flushing: Promise<void> | null = null;
  private linger: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private readonly partitions = new Map<string, Promise<number>>();
  /** partition the partitioner chose for each message object of the batch in flight */
  private readonly chosen = new WeakMap<Message, number>();
  private roundRobin = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: LazyAdmin,
    private readonly logger: Logger,
    opts: KafkaProducerOptions = {},
  ) {
    this.lingerMs = opts.lingerMs ?? 0;
    this.maxBatchMessages = opts.maxBatchMessages ?? 10_000;
    this.maxBatchBytes = opts.maxBatchBytes ?? 512 * 1024;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 5_000;
  }

  async connect(): Promise<void> {
    if (this.closed) throw new PinpipeError('INTERNAL', 'the log producer was closed; create a new one');
    await this.ensureProducer();
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
    const counts = new Map<string, number>();
    for (const t of new Set(messages.map((m) => m.topic))) counts.set(t, await this.partitionCount(t));

    return new Promise<ProduceResult[]>((resolve, reject) => {
      const call: Call = { results: new Array(messages.length), remaining: messages.length, done: false, resolve, reject, timer: undefined as unknown as NodeJS.Timeout };
      call.timer = setTimeout(() => this.fail(call, new PinpipeError('LOG_UNAVAILABLE', `Kafka did not acknowledge ${messages.length} record(s) within ${this.sendTimeoutMs} ms`, { retriable: true })), this.sendTimeoutMs);
      messages.forEach((m, index) => {
        const message: Message = { value: m.value };
        if (m.key !== undefined && m.key !== null) message.key = m.key;
        else message.partition = this.roundRobin++ % counts.get(m.topic)!; // explicit: stable across retries
        const bytes = m.value.length + (m.key?.length ?? 0) + 64;
        this.queue.push({ call, index, topic: m.topic, message, bytes });
        this.queuedBytes += bytes;
      });
      this.schedule();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelLinger();
    // deliver what is queued (each caller is bounded by its own time-out)
    while (this.queue.length > this.head || this.flushing) {
      if (!this.flushing) this.flushing = this.flushLoop();
      await this.flushing;
    }
    const p = this.producer;
    this.producer = null;
    if (p) await p.then((x) => withTimeout(x.disconnect(), 5_000, 'closing the Kafka producer')).catch(() => undefined);
    await this.admin.close();
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
    let meta: RecordMetadata[];
    try {
      const producer = await this.ensureProducer();
      const byTopic = new Map<string, Message[]>();
      for (const p of batch) {
        let list = byTopic.get(p.topic);
        if (!list) byTopic.set(p.topic, (list = []));
        list.push(p.message);
      }
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      meta = await producer.sendBatch({ acks: -1, timeout: ACK_TIMEOUT_MS, topicMessages });
    } catch (e) {
      this.broken = true;
      const err = toLogError(e, `writing ${batch.length} record(s) to Kafka`);
      if (err.code === 'NOT_FOUND') for (const p of batch) this.partitions.delete(p.topic);
      for (const p of batch) this.fail(p.call, err);
      return;
    }
    const base = new Map<string, number>();
    for (const m of meta) base.set(`${m.topicName}:${m.partition}`, Number(m.baseOffset));
    const next = new Map<string, number>();
    for (const p of batch) {
      const partition = p.message.partition ?? this.chosen.get(p.message);
      const k = `${p.topic}:${partition}`;
      const first = base.get(k);
      if (partition === undefined || first === undefined) {
        this.fail(p.call, new PinpipeError('INTERNAL', `Kafka acknowledged no offset for ${k}`));
        continue;
      }
      const n = next.get(k) ?? 0;
      next.set(k, n + 1);
      if (p.call.done) continue;
      p.call.results[p.index] = { topic: p.topic, partition, offset: first + n };
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

  private ensureProducer(): Promise<Producer> {
    if (this.broken) {
      this.broken = false;
      const old = this.producer;
      this.producer = null;
      if (old) this.producer = old.then((p) => withTimeout(p.disconnect(), 2_000, 'closing the Kafka producer')).catch(() => undefined).then(() => this.newProducer());
    }
    if (!this.producer) this.producer = this.newProducer();
    const p = this.producer;
    p.catch(() => {
      if (this.producer === p) this.producer = null; // try again on the next batch
    });
    return p;
  }

  private async newProducer(): Promise<Producer> {
    const chosen = this.chosen;
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1, // kafkajs requires it for idempotence
      allowAutoTopicCreation: false,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
      // murmur2 on the key, as Kafka's Java client; the choice is recorded to compute offsets
      createPartitioner: () => {
        const murmur = Partitioners.DefaultPartitioner();
        return (args) => {
          const p = murmur(args);
          chosen.set(args.message, p);
          return p;
        };
      },
    });
    try {
      await withTimeout(producer.connect(), this.sendTimeoutMs, 'connecting the Kafka producer');
    } catch (e) {
      await producer.disconnect().catch(() => undefined);
      throw toLogError(e, 'connecting the Kafka producer');
    }
    this.logger.debug('Kafka producer connected');
    return producer;
  }
}
