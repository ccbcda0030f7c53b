/**
 * Consumer of the embedded log. One active member per group (an exclusive lock across processes),
 * which is assigned every partition of its topics. Batches are delivered serially, round-robin over
 * the partitions, from the committed offset (or the start) on, then following new appends by
 * polling. Memory is bounded by the batch size whatever the backlog.
 */
import { createLogger } from '../../core/logger.js';
import { PinpipeError, errorMessage } from '../../core/errors.js';
import { tpKey, type CommitOffset, type ConsumerHandlers, type ConsumerOptions, type LogConsumer, type TopicPartition } from './types.js';
import { partitionDirOf, ScanBuffer } from './embedded-files.js';
import { GroupStore } from './embedded-groups.js';
import { PartitionReader } from './embedded-reader.js';
import type { TopicRegistry } from './embedded-topics.js';

const POLL_MS = 20;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

interface Part {
  tp: TopicPartition;
  reader: PartitionReader;
  /** next offset to deliver */
  next: number;
  /** bumped by seek(), so a read that raced with a seek is dropped */
  seeks: number;
}

export class EmbeddedConsumer implements LogConsumer {
  private readonly store: GroupStore;
  private readonly maxBatch: number;
  private readonly sb = new ScanBuffer(1024 * 1024);
  private readonly readers = new Map<string, PartitionReader>();
  private readonly pendingSeeks = new Map<string, number>();
  private readonly paused = new Set<string>();
  private readonly listeners: ((err: Error) => void)[] = [];
  private parts: Part[] | null = null;
  private handlers: ConsumerHandlers | null = null;
  private leave: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly topics: TopicRegistry,
    logDir: string,
    private readonly opts: ConsumerOptions,
  ) {
    if (!Array.isArray(opts.topics) || opts.topics.length === 0) throw new PinpipeError('INTERNAL', 'a log consumer needs at least one topic');
    const max = opts.maxBatchRecords ?? 2000;
    if (!Number.isInteger(max) || max < 1) throw new PinpipeError('INTERNAL', `maxBatchRecords must be an integer >= 1 (got ${String(max)})`);
    this.maxBatch = max;
    this.store = new GroupStore(logDir, opts.groupId);
  }

  /** Join the group (LOCKED if another consumer is its member) and create missing topics. */
  async connect(): Promise<void> {
    if (this.closed) throw new PinpipeError('INTERNAL', `the consumer of group ${this.opts.groupId} was closed; create a new one`);
    if (this.leave) return;
    for (const t of this.opts.topics) await this.topics.ensure(t);
    this.leave = this.store.join();
  }

  private reader(topic: string, partition: number): PartitionReader {
    const k = tpKey(topic, partition);
    let r = this.readers.get(k);
    if (!r) {
      const meta = this.topics.require(topic);
      r = new PartitionReader(topic, partition, partitionDirOf(this.topics.logDir, topic, partition), meta.segmentBytes, this.sb);
      this.readers.set(k, r);
    }
    return r;
  }

  private allPartitions(): TopicPartition[] {
    return this.opts.topics.flatMap((topic) => Array.from({ length: this.topics.require(topic).partitions }, (_, partition) => ({ topic, partition })));
  }

  async run(handlers: ConsumerHandlers): Promise<void> {
    if (this.handlers) throw new PinpipeError('INTERNAL', `the consumer of group ${this.opts.groupId} is already running`);
    await this.connect();
    this.handlers = handlers;
    const tps = this.allPartitions();
    const committed = new Map((await this.committed(tps)).map((c) => [tpKey(c.topic, c.partition), c.offset]));
    const parts: Part[] = [];
    for (const tp of tps) {
      const reader = this.reader(tp.topic, tp.partition);
      const k = tpKey(tp.topic, tp.partition);
      let next = committed.get(k) ?? -1;
      if (next < 0) next = this.opts.fromBeginning === false ? await reader.tail.refresh() : 0;
      const seek = this.pendingSeeks.get(k);
      parts.push({ tp, reader, next: seek ?? next, seeks: 0 });
    }
    this.pendingSeeks.clear();
    this.parts = parts;
    if (handlers.onAssign) await handlers.onAssign(tps.map((tp) => ({ ...tp })));
    if (!this.stopping) this.loop = this.deliver(handlers);
  }

  private async deliver(handlers: ConsumerHandlers): Promise<void> {
    const parts = this.parts!;
    let rr = 0;
    try {
      while (!this.stopping) {
        let delivered = false;
        for (let i = 0; i < parts.length && !this.stopping; i++) {
          const part = parts[(rr + i) % parts.length]!;
          if (this.paused.has(tpKey(part.tp.topic, part.tp.partition))) continue;
          const seeks = part.seeks;
          const { records, highWatermark } = await part.reader.read(part.next, this.maxBatch, MAX_BATCH_BYTES);
          if (records.length === 0 || this.stopping || part.seeks !== seeks) continue;
          part.next = records[records.length - 1]!.offset + 1;
          delivered = true;
          await handlers.eachBatch({ topic: part.tp.topic, partition: part.tp.partition, records, highWatermark });
        }
        rr = (rr + 1) % parts.length;
        if (!delivered && !this.stopping) await this.idle(POLL_MS);
      }
    } catch (e) {
      this.stopping = true;
      const err = e instanceof Error ? e : new Error(errorMessage(e));
      if (this.listeners.length === 0) createLogger({ component: 'log' }).error(`consumer of group ${this.opts.groupId} stopped: ${err.message}`);
      for (const l of this.listeners) l(err);
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  async commit(offsets: CommitOffset[]): Promise<void> {
    if (this.closed) throw new PinpipeError('INTERNAL', `cannot commit: the consumer of group ${this.opts.groupId} was closed`);
    await this.connect();
    await this.store.commit(offsets);
  }

  async committed(partitions: TopicPartition[]): Promise<CommitOffset[]> {
    const byTopic = new Map<string, ReturnType<GroupStore['read']>>();
    return partitions.map(({ topic, partition }) => {
      let stored = byTopic.get(topic);
      if (!stored) byTopic.set(topic, (stored = this.store.read(topic)));
      const s = stored.get(partition);
      return { topic, partition, offset: s ? s.offset : -1, metadata: s ? s.metadata : null };
    });
  }

  seek(tp: TopicPartition, offset: number): void {
    if (!Number.isInteger(offset) || offset < 0) throw new PinpipeError('INTERNAL', `seek: offset must be an integer >= 0 (got ${String(offset)})`);
    if (!this.opts.topics.includes(tp.topic)) throw new PinpipeError('INTERNAL', `seek: topic ${tp.topic} is not subscribed by group ${this.opts.groupId}`);
    const k = tpKey(tp.topic, tp.partition);
    if (!this.parts) {
      this.pendingSeeks.set(k, offset);
      return;
    }
    const part = this.parts.find((p) => p.tp.topic === tp.topic && p.tp.partition === tp.partition);
    if (!part) throw new PinpipeError('INTERNAL', `seek: ${tp.topic} has no partition ${tp.partition}`);
    part.next = offset;
    part.seeks++;
  }

  pause(tps: TopicPartition[]): void {
    for (const tp of tps) this.paused.add(tpKey(tp.topic, tp.partition));
  }

  resume(tps: TopicPartition[]): void {
    let any = false;
    for (const tp of tps) any = this.paused.delete(tpKey(tp.topic, tp.partition)) || any;
    if (any) this.wake?.();
  }

  async endOffsets(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const t of this.opts.topics) await this.topics.ensure(t);
    for (const tp of this.allPartitions()) out.set(tpKey(tp.topic, tp.partition), await this.reader(tp.topic, tp.partition).tail.refresh());
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopping = true;
    this.wake?.();
    try {
      if (this.loop) await this.loop;
      if (this.handlers?.onRevoke && this.parts) await this.handlers.onRevoke(this.parts.map((p) => ({ ...p.tp })));
    } finally {
      for (const r of this.readers.values()) r.close();
      this.readers.clear();
      this.leave?.();
      this.leave = null;
    }
  }

  onError(listener: (err: Error) => void): void {
    this.listeners.push(listener);
  }
}
