/**
 * Consumer of the Kafka log: a kafkajs consumer group member with manual commits.
 *
 * - Batches are handed to handlers.eachBatch one at a time (partitionsConsumedConcurrently 1), split
 *   into pieces of at most maxBatchRecords; the fetch position advances only after a piece is handled.
 * - onAssign/onRevoke come from the difference between successive GROUP_JOIN assignments. kafkajs
 *   restarts every partition from its committed offset after each join; partitions this member
 *   keeps are sought back to where delivery stood, so a rebalance never re-delivers to the same
 *   member what it was already given (and a partition it gets anew starts from the committed offset).
 * - pause()/resume() are kept here and applied to kafkajs (again after every join: a restarted
 *   kafkajs consumer forgets them); a piece of a paused partition is not delivered, and kafkajs
 *   fetches it again from the last resolved offset once resumed.
 * - A handler that throws, or a crash kafkajs does not recover from, is fatal: consumption stops and
 *   onError listeners learn of it. Crashes kafkajs restarts from (a broker restarting) are not.
 */
import { PartitionAssigners, type Consumer, type EachBatchPayload, type Kafka } from 'kafkajs';
import { PinpipeError, errorMessage } from '../../core/errors.js';
import { SharedAttempt } from '../../core/serial.js';
import type { Logger } from '../../core/logger.js';
import {
  tpKey,
  type CommitOffset,
  type ConsumedBatch,
  type ConsumerHandlers,
  type ConsumerOptions,
  type LogConsumer,
  type LogRecord,
  type TopicPartition,
} from './types.js';
import { boundedStep, toLogError, withTimeout } from './kafka-client.js';
import { groupCommitted, topicEndOffsets, type LazyAdmin } from './kafka-admin.js';
import { subscribedRoundRobin } from './kafka-assigner.js';

const CLOSE_TIMEOUT_MS = 15_000;
/** heartbeat period while a handler runs (kafkajs sends at most one per heartbeatInterval) */
const HEARTBEAT_MS = 1_000;

/** the commit or heartbeat error says this member is not (or no longer) in the group's generation */
const lostMembership = (e: unknown): boolean => {
  const err = e as { type?: unknown; originalError?: { type?: unknown } } | null;
  const type = err?.type ?? err?.originalError?.type;
  return type === 'UNKNOWN_MEMBER_ID' || type === 'ILLEGAL_GENERATION';
};

export class KafkaConsumer implements LogConsumer {
  private consumer: Consumer | null = null;
  private readonly connecting = new SharedAttempt<Consumer>();
  private handlers: ConsumerHandlers | null = null;
  /** partitions assigned by the latest join */
  private assigned = new Map<string, TopicPartition>();
  /** next offset to deliver per partition (after delivery or seek) */
  private readonly positions = new Map<string, number>();
  private readonly seeks = new Map<string, number>();
  private readonly paused = new Map<string, TopicPartition>();
  /** assignment callbacks, run in order before any later batch */
  private chain: Promise<void> = Promise.resolve();
  private inGroup = false;
  /** the error that told this member it left its group; cleared by the next join */
  private evicted: Error | null = null;
  /** GROUP_JOIN events seen */
  private joins = 0;
  private failed: Error | null = null;
  private closed = false;
  private readonly listeners: ((err: Error) => void)[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: LazyAdmin,
    private readonly opts: ConsumerOptions,
    private readonly logger: Logger,
  ) {
    if (!opts.groupId) throw new PinpipeError('INTERNAL', 'consumer: groupId is required');
    if (!opts.topics?.length) throw new PinpipeError('INTERNAL', 'consumer: at least one topic is required');
  }

  async connect(): Promise<void> {
    await this.ensureConnected();
  }

  private ensureConnected(): Promise<Consumer> {
    if (this.closed) return Promise.reject(new PinpipeError('INTERNAL', 'the log consumer was closed; create a new one'));
    return this.connecting.run(() => this.open());
  }

  private async open(): Promise<Consumer> {
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 30_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
      // subscription-aware first (a group shared with members of other topics); kafkajs's own for older members
      partitionAssigners: [subscribedRoundRobin, PartitionAssigners.roundRobin],
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 3_000, restartOnFailure: async () => !this.closed && !this.failed },
    });
    try {
      await withTimeout(consumer.connect(), 10_000, 'connecting the Kafka consumer');
      await consumer.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning ?? true });
    } catch (e) {
      await consumer.disconnect().catch(() => undefined);
      throw toLogError(e, `subscribing group ${this.opts.groupId} to ${this.opts.topics.join(', ')}`);
    }
    this.consumer = consumer;
    return consumer;
  }

  async run(handlers: ConsumerHandlers): Promise<void> {
    if (this.handlers) throw new PinpipeError('INTERNAL', 'consumer.run() was already called');
    this.handlers = handlers;
    const consumer = await this.ensureConnected();
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onJoin(e.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (e) => {
      this.inGroup = false;
      if (e.payload.restart) this.logger.warn('Kafka consumer restarting after an error', { groupId: this.opts.groupId, error: errorMessage(e.payload.error) });
      else this.fatal(toLogError(e.payload.error, `Kafka consumer of group ${this.opts.groupId}`));
    });
    consumer.on(consumer.events.STOP, () => (this.inGroup = false));
    try {
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.deliver(payload),
      });
    } catch (e) {
      throw toLogError(e, `starting the Kafka consumer of group ${this.opts.groupId}`);
    }
  }

  private onJoin(memberAssignment: Record<string, number[]>): void {
    if (this.closed) return; // kafkajs rejoins a rebalance in progress before it leaves: nothing of it is used
    const now = new Map<string, TopicPartition>();
    for (const [topic, partitions] of Object.entries(memberAssignment))
      for (const partition of partitions) now.set(tpKey(topic, partition), { topic, partition });
    const revoked = [...this.assigned].filter(([k]) => !now.has(k)).map(([, tp]) => tp);
    const added = [...now].filter(([k]) => !this.assigned.has(k)).map(([, tp]) => tp);
    for (const [k, tp] of now) {
      const pos = this.positions.get(k);
      if (this.assigned.has(k) && pos !== undefined) this.consumer?.seek({ topic: tp.topic, partition: tp.partition, offset: String(pos) });
    }
    for (const tp of revoked) this.positions.delete(tpKey(tp.topic, tp.partition));
    this.assigned = now;
    this.applyPause('pause', [...this.paused.values()]);
    this.inGroup = true;
    this.evicted = null;
    this.joins++;
    if (revoked.length === 0 && added.length === 0) return;
    const h = this.handlers!;
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      try {
        if (revoked.length && h.onRevoke) await h.onRevoke(revoked);
        if (added.length && h.onAssign) await h.onAssign(added);
      } catch (e) {
        this.fatal(e as Error);
      }
    });
  }

  private async deliver({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    for (let c = this.chain; ; c = this.chain) {
      await c;
      if (c === this.chain) break;
    }
    const { topic, partition } = batch;
    const k = tpKey(topic, partition);
    if (this.evicted) throw this.evicted;
    if (this.failed || this.closed || !this.assigned.has(k) || isStale()) return;
    const from = this.positions.get(k);
    const records: LogRecord[] = [];
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      if (from !== undefined && offset < from) continue; // delivered before a rejoin
      records.push({
        topic,
        partition,
        offset,
        key: m.key ? m.key.toString('utf8') : null,
        value: m.value ? m.value.toString('utf8') : '',
        timestamp: Number(m.timestamp),
      });
    }
    if (records.length === 0) {
      resolveOffset(batch.lastOffset());
      return;
    }
    const highWatermark = Number(batch.highWatermark);
    const size = Math.max(1, this.opts.maxBatchRecords ?? records.length);
    for (let i = 0; i < records.length; i += size) {
      if (!isRunning() || isStale() || this.failed || this.closed || !this.assigned.has(k) || this.paused.has(k)) return;
      const seekEpoch = this.seeks.get(k) ?? 0;
      const piece = records.slice(i, i + size);
      const consumed: ConsumedBatch = { topic, partition, records: piece, highWatermark };
      // heartbeat while the handler runs (a lake or store write may be retried for longer than the session)
      const joins = this.joins;
      const beat = setInterval(() => void heartbeat().catch((e) => joins === this.joins && this.onHeartbeatError(e)), HEARTBEAT_MS);
      try {
        await this.handlers!.eachBatch(consumed);
      } catch (e) {
        this.fatal(e as Error);
        return;
      } finally {
        clearInterval(beat);
      }
      if (this.evicted) throw this.evicted; // kafkajs rejoins the group on this error
      if ((this.seeks.get(k) ?? 0) !== seekEpoch) return; // the handler moved the position
      const last = piece[piece.length - 1]!.offset;
      this.positions.set(k, last + 1);
      resolveOffset(String(last));
      await heartbeat().catch((e) => {
        this.onHeartbeatError(e);
        throw e;
      });
    }
  }

  async commit(offsets: CommitOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    if (this.failed)
      throw new PinpipeError('LOG_UNAVAILABLE', `cannot commit: the consumer of group ${this.opts.groupId} stopped after an error: ${this.failed.message}`);
    if (!this.consumer || !this.inGroup) {
      throw new PinpipeError(
        'LOG_UNAVAILABLE',
        `cannot commit: the consumer of group ${this.opts.groupId} is not in its group now (not running, or rejoining)`,
        { retriable: true },
      );
    }
    const joins = this.joins;
    try {
      await this.consumer.commitOffsets(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset), metadata: o.metadata ?? null })),
      );
    } catch (e) {
      // (an answer about a generation older than the latest join says nothing about the current one)
      if (lostMembership(e) && joins === this.joins) this.lose(e as Error, 'an offset commit');
      throw toLogError(e, `committing offsets of group ${this.opts.groupId}`);
    }
  }

  async committed(partitions: TopicPartition[]): Promise<CommitOffset[]> {
    const topics = [...new Set(partitions.map((p) => p.topic))];
    const all = await groupCommitted(this.admin, this.opts.groupId, topics);
    const byKey = new Map(all.map((o) => [tpKey(o.topic, o.partition), o]));
    return partitions.map((p) => byKey.get(tpKey(p.topic, p.partition)) ?? { topic: p.topic, partition: p.partition, offset: -1, metadata: null });
  }

  seek(tp: TopicPartition, offset: number): void {
    const k = tpKey(tp.topic, tp.partition);
    if (!this.consumer || !this.assigned.has(k)) throw new PinpipeError('INTERNAL', `seek: partition ${k} is not assigned to this consumer`);
    if (!Number.isInteger(offset) || offset < 0) throw new PinpipeError('INTERNAL', `seek: offset must be an integer >= 0, got ${offset}`);
    this.seeks.set(k, (this.seeks.get(k) ?? 0) + 1);
    this.positions.set(k, offset);
    this.consumer.seek({ topic: tp.topic, partition: tp.partition, offset: String(offset) });
  }

  pause(tps: TopicPartition[]): void {
    for (const tp of tps) this.paused.set(tpKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition });
    this.applyPause('pause', tps);
  }

  resume(tps: TopicPartition[]): void {
    const was = tps.filter((tp) => this.paused.delete(tpKey(tp.topic, tp.partition)));
    this.applyPause('resume', was);
  }

  /** tell kafkajs (before run() it has no group to tell: the next join applies the pauses) */
  private applyPause(how: 'pause' | 'resume', tps: TopicPartition[]): void {
    if (!this.consumer || !this.handlers || tps.length === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) {
      const list = byTopic.get(tp.topic);
      if (list) list.push(tp.partition);
      else byTopic.set(tp.topic, [tp.partition]);
    }
    try {
      this.consumer[how]([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
    } catch (e) {
      this.logger.debug(`Kafka consumer ${how} deferred to the next join`, { error: errorMessage(e) });
    }
  }

  async endOffsets(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const topic of this.opts.topics) {
      const ends = await topicEndOffsets(this.admin, topic);
      ends.forEach((end, partition) => out.set(tpKey(topic, partition), end));
    }
    return out;
  }

  /** Stop (it waits for a rejoin in progress), disconnect (it waits for stop) in bounds; past one, in the background, noted as lingering */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.inGroup = false;
    const c = this.connecting.current ? await this.connecting.current.catch(() => null) : null;
    const step = (what: string, ms: number, fn: () => Promise<void>) => boundedStep(this.logger, `Kafka consumer ${this.opts.groupId}: ${what}`, ms, fn);
    if (c && (await step('stop', CLOSE_TIMEOUT_MS, () => c.stop()))) await step('disconnect', 5_000, () => c.disconnect());
    else if (c) void c.disconnect().catch(() => undefined);
    await step('admin disconnect', 5_000, () => this.admin.close());
  }

  onError(listener: (err: Error) => void): void {
    this.listeners.push(listener);
  }

  private onHeartbeatError(e: unknown): void {
    if (lostMembership(e)) this.lose(e as Error, 'a heartbeat');
  }

  /**
   * The coordinator no longer knows this member (evicted after its session timed out) or its
   * generation: every partition counts as revoked (uncommitted state is dropped, the new assignment
   * starts from the committed offsets) and the next delivery throws the error, on which kafkajs rejoins.
   */
  private lose(err: Error, what: string): void {
    if (this.evicted || this.closed || this.failed) return;
    this.evicted = err;
    this.inGroup = false;
    const revoked = [...this.assigned.values()];
    this.assigned = new Map();
    this.positions.clear();
    this.logger.warn('Kafka consumer lost its group membership; its partitions count as revoked, rejoining', {
      groupId: this.opts.groupId,
      during: what,
      partitions: revoked.length,
      error: errorMessage(err),
    });
    const h = this.handlers;
    if (revoked.length && h?.onRevoke) void h.onRevoke(revoked).catch((e) => this.fatal(e as Error));
  }

  private fatal(err: Error): void {
    if (this.failed || this.closed) return;
    this.failed = err;
    this.inGroup = false;
    this.logger.error('Kafka consumer stopped after an error', { groupId: this.opts.groupId, error: errorMessage(err) });
    // stop in the background: this may run inside eachBatch, which stop() waits for
    void this.consumer?.stop().catch(() => undefined);
    for (const l of this.listeners) setImmediate(() => l(err));
  }
}
