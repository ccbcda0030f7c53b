/**
 * The batch writer's core: consumer callbacks (batches, assignment, revocation), idle flushes and
 * the final flush, all run one at a time (core/serial.ts). For each partition: dead letters first, then the
 * closed chunks in order (gzip, atomic put), then day markers, and only then the offset commit.
 */
import type { ConsumedBatch, ConsumerHandlers, LogConsumer, TopicPartition } from '../../connectors/log/types.js';
import { tpKey } from '../../connectors/log/types.js';
import { errorMessage } from '../../core/errors.js';
import { retry } from '../../core/retry.js';
import { Serial } from '../../core/serial.js';
import { chunkKey, type Chunk, type ChunkLimits } from './chunk.js';
import { discard, drain, finish } from './compress.js';
import { advanceMeta, decodeMeta, encodeMeta } from './commit-meta.js';
import { partitionFrontier, restartCandidates, topicFrontier } from './day-markers.js';
import type { DayMarkerTracker } from './markers.js';
import { PartitionState, type Closed, type DeadRecord } from './partition.js';
import { summarizeChunkObject } from './recovery.js';
import { putObject, sendDeadLetters, type SinkDeps } from './sink.js';

export interface WriterSettings {
  /** logical topic name → log topic name */
  topics: Map<string, string>;
  limits: ChunkLimits;
  idleFlushMs: number;
}

interface Remote {
  committed: number;
  t: number;
}

/**
 * A partition is idle when no new record came for `batch.idleFlush` AND it has been read up to the
 * log end known (a partition merely waiting for its turn in a backlog is not idle); after this
 * many times idleFlush without records it is flushed anyway.
 */
const IDLE_FALLBACK = 6;
const RETRY = { retries: Number.POSITIVE_INFINITY, initialMs: 200, maxMs: 15_000 };

export class BatchWriter {
  readonly states = new Map<string, PartitionState>();
  private readonly revoked = new Set<string>();
  private readonly serial = new Serial();
  private readonly logical = new Map<string, string>();
  /** log end per `logTopic:partition` of every partition of the subscribed topics */
  private ends = new Map<string, number>();
  private readonly remote = new Map<string, Remote>();
  /** partitions whose data could not be written in this run (stays uncommitted in the log) */
  abandoned = 0;
  assignedOnce = false;
  stopping = false;
  fatal: Error | null = null;

  constructor(
    private readonly consumer: LogConsumer,
    private readonly sink: SinkDeps,
    private readonly markers: DayMarkerTracker,
    private readonly settings: WriterSettings,
  ) {
    for (const [logical, log] of settings.topics) this.logical.set(log, logical);
    sink.stats.outstanding = () => this.outstanding();
  }

  /** Records of the held partitions that are not yet written and committed (read or not). */
  outstanding(): number {
    let n = 0;
    for (const st of this.states.values()) if (!st.revoked && st.highWatermark > 0) n += Math.max(0, st.highWatermark - Math.max(0, st.committed));
    return n;
  }

  handlers(): ConsumerHandlers {
    return {
      eachBatch: (b) => this.eachBatch(b),
      onAssign: async (tps) => {
        this.assignedOnce = true;
        await this.guard(() => this.assign(tps));
      },
      onRevoke: (tps) => this.revoke(tps),
    };
  }

  /** Run a section after the others (one at a time); an unexpected error becomes fatal for the run. */
  private guard(fn: () => Promise<void>): Promise<void> {
    return this.serial.run(async () => {
      try {
        await fn();
      } catch (err) {
        this.fatal ??= err instanceof Error ? err : new Error(String(err));
        throw err;
      }
    });
  }

  private async assign(tps: TopicPartition[]): Promise<void> {
    for (const tp of tps) this.revoked.delete(tpKey(tp.topic, tp.partition));
    const fresh = tps.filter((tp) => this.logical.has(tp.topic) && !this.states.has(tpKey(tp.topic, tp.partition)));
    if (!fresh.length) return;
    if (this.ends.size === 0) await this.refreshEnds();
    const now = Date.now();
    for (const c of await this.consumer.committed(fresh)) {
      const st = new PartitionState(this.logical.get(c.topic)!, c.topic, c.partition);
      st.committed = c.offset;
      if (c.offset >= 0) st.nextOffset = c.offset;
      st.meta = decodeMeta(c.metadata);
      if (st.meta) st.writtenMs = st.meta.t;
      st.lastArrival = now;
      const end = this.ends.get(tpKey(c.topic, c.partition));
      if (end !== undefined) st.noteEnd(end);
      this.states.set(tpKey(c.topic, c.partition), st);
      this.remote.delete(tpKey(c.topic, c.partition));
    }
    await this.refreshRemote();
    for (const logTopic of new Set(fresh.map((tp) => tp.topic))) {
      const progress = this.partitionsOf(logTopic).map((k) => this.states.get(k)?.writtenMs ?? this.remote.get(k)?.t ?? Number.NaN);
      this.markers.noteMaybe(this.logical.get(logTopic)!, restartCandidates(progress));
    }
  }

  private async revoke(tps: TopicPartition[]): Promise<void> {
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition);
      this.revoked.add(key);
      const st = this.states.get(key);
      if (st) st.revoked = true; // stops retries of a write in flight
    }
    await this.serial.run(async () => {
      for (const tp of tps) {
        const key = tpKey(tp.topic, tp.partition);
        discard(this.states.get(key)?.open ?? null); // never written by this member
        this.states.delete(key);
        this.sink.stats.lag.delete(key);
      }
    });
  }

  private async eachBatch(batch: ConsumedBatch): Promise<void> {
    if (this.stopping) return;
    await this.guard(async () => {
      const key = tpKey(batch.topic, batch.partition);
      if (this.stopping || this.revoked.has(key) || !this.logical.has(batch.topic)) return;
      if (!this.states.has(key)) await this.assign([{ topic: batch.topic, partition: batch.partition }]);
      const st = this.states.get(key)!;
      if (st.failed) return;
      st.noteEnd(batch.highWatermark);
      let ing;
      try {
        ing = await st.ingest(batch.records, this.settings.limits, (k) => this.adopt(k, st));
      } catch (err) {
        if (!this.sink.signal.aborted && !st.revoked) throw err;
        return this.fail(st); // a look-up given up while stopping: nothing of it is committed
      }
      if (st.open) drain(st.open);
      if (ing.fresh) st.lastArrival = Date.now();
      this.sink.stats.recordsIn += ing.fresh;
      this.sink.stats.lag.set(key, st.lag());
      await this.settle(st, ing.closed, ing.dead);
    });
  }

  private async adopt(key: string, st: PartitionState) {
    const gz = await retry(() => this.sink.lake.get(key), {
      ...RETRY,
      signal: this.sink.signal,
      shouldRetry: () => !this.sink.signal.aborted && !st.revoked,
      onRetry: (err, attempt) => {
        this.sink.stats.lakeErrors++;
        this.sink.stats.lakeFailing = errorMessage(err);
        this.sink.logger.warn('lake read failed; retrying', { key, attempt, error: errorMessage(err) });
      },
    });
    this.sink.stats.lakeFailing = null;
    return gz ? summarizeChunkObject(gz, key) : null;
  }

  private fail(st: PartitionState, closed: Closed[] = []): void {
    for (const c of closed) if (c.kind === 'chunk') discard(c.chunk);
    discard(st.takeOpen());
    if (st.revoked) return;
    st.failed = true;
    this.abandoned++;
  }

  /** Write what closed, in order; then markers; then commit. */
  private async settle(st: PartitionState, closed: Closed[], dead: DeadRecord[]): Promise<void> {
    if (st.revoked || st.failed) return;
    const owned = () => !st.revoked && !st.failed;
    if (dead.length && !(await sendDeadLetters(this.sink, st.topic, st.partition, dead, owned))) return this.fail(st, closed);
    const bodies = closed.map((c) => (c.kind === 'chunk' ? finish(c.chunk) : null));
    for (const b of bodies) b?.catch(() => undefined);
    for (let i = 0; i < closed.length; i++) {
      const c = closed[i]!;
      if (c.kind === 'chunk') {
        if (!(await putObject(this.sink, chunkKey(c.chunk), await bodies[i]!, owned))) return this.fail(st, closed.slice(i + 1));
        this.sink.stats.recordsWritten += c.chunk.count;
        this.noteWritten(st, c.chunk.day, c.chunk.maxMs);
      } else {
        this.sink.stats.objectsAdopted++;
        this.sink.logger.info('adopted an object written before a restart', { key: c.key, offsets: `${c.summary.firstOffset}..${c.summary.lastOffset}` });
        this.noteWritten(st, c.day, c.summary.lastMs);
      }
    }
    if (!(await this.markers.evaluate(st.topic, this.frontier(st.topic)))) return;
    await this.commit(st);
  }

  private noteWritten(st: PartitionState, day: string, ms: number): void {
    if (ms > st.writtenMs) st.writtenMs = ms;
    st.meta = advanceMeta(st.meta, day, ms);
    this.markers.noteData(st.topic, day);
  }

  private async commit(st: PartitionState): Promise<void> {
    const offset = st.position();
    if (offset <= st.committed || offset <= 0 || st.revoked || st.failed) return;
    const metadata = st.meta ? encodeMeta(st.meta) : null;
    try {
      await retry(() => this.consumer.commit([{ topic: st.logTopic, partition: st.partition, offset, metadata }]), {
        ...RETRY,
        signal: this.sink.signal,
        shouldRetry: (_e, attempt) => !st.revoked && (!this.sink.signal.aborted || attempt < 2),
        onRetry: (err, attempt) => {
          this.sink.stats.commitFailing = errorMessage(err);
          this.sink.logger.warn('offset commit failed; retrying', { topic: st.logTopic, partition: st.partition, attempt, error: errorMessage(err) });
        },
      });
      st.committed = offset;
      this.sink.stats.commitFailing = null;
    } catch (err) {
      this.sink.stats.commitFailing = errorMessage(err);
      this.sink.logger.warn('offset commit abandoned; written objects will be adopted on restart', {
        topic: st.logTopic,
        partition: st.partition,
        error: errorMessage(err),
      });
    }
  }

  /** Idle flush (or every open chunk with `all`), commits of advanced positions, day markers. */
  flush(all: boolean): Promise<void> {
    return this.guard(async () => {
      const now = Date.now();
      for (const st of [...this.states.values()]) {
        if (st.revoked || st.failed) continue;
        const quiet = now - st.lastArrival;
        const idle = quiet >= this.settings.idleFlushMs && (st.caughtUp() || quiet >= IDLE_FALLBACK * this.settings.idleFlushMs);
        const chunk: Chunk | null = st.open && (all || idle) ? st.takeOpen() : null;
        if (chunk || st.position() > st.committed) await this.settle(st, chunk ? [{ kind: 'chunk', chunk }] : [], []);
      }
      for (const logical of this.settings.topics.keys()) await this.markers.evaluate(logical, this.frontier(logical));
    });
  }

  private partitionsOf(logTopic: string): string[] {
    return [...this.ends.keys()].filter((k) => k.slice(0, k.lastIndexOf(':')) === logTopic);
  }

  /** Record time up to which every partition of the topic is in the lake. */
  frontier(logical: string): number {
    const now = Date.now();
    const keys = this.partitionsOf(this.settings.topics.get(logical)!);
    if (!keys.length) return Number.NEGATIVE_INFINITY;
    return topicFrontier(
      keys.map((k) => {
        const st = this.states.get(k);
        const end = this.ends.get(k) ?? Number.POSITIVE_INFINITY;
        // caught up = COMMITTED up to the log end (not merely read: a failed write, a failing
        // commit or a stale log end must not make a partition count as complete)
        if (st && !st.revoked) {
          const done = !st.failed && (end === 0 || (st.committed >= end && st.committed >= st.highWatermark));
          return partitionFrontier({ writtenMs: st.writtenMs, caughtUp: done, pending: st.open !== null }, now);
        }
        const r = this.remote.get(k);
        if (!r) return Number.NEGATIVE_INFINITY;
        return partitionFrontier({ writtenMs: r.t, caughtUp: end === 0 || r.committed >= end, pending: false }, now);
      }),
    );
  }

  /** Fetch the log ends of every partition; returns them (for --until-idle). */
  async refreshEnds(): Promise<Map<string, number>> {
    const all = await this.consumer.endOffsets();
    const mine = new Map<string, number>();
    for (const [k, end] of all) {
      if (!this.logical.has(k.slice(0, k.lastIndexOf(':')))) continue;
      mine.set(k, end);
      const st = this.states.get(k);
      if (st) {
        st.noteEnd(end);
        this.sink.stats.lag.set(k, st.lag());
      }
    }
    this.ends = mine;
    return mine;
  }

  /** Committed progress of the partitions other members hold (or nobody holds yet). */
  async refreshRemote(): Promise<void> {
    const others = [...this.ends.keys()]
      .filter((k) => !this.states.has(k))
      .map((k) => ({ topic: k.slice(0, k.lastIndexOf(':')), partition: Number(k.slice(k.lastIndexOf(':') + 1)) }));
    if (!others.length) return;
    for (const c of await this.consumer.committed(others)) {
      this.remote.set(tpKey(c.topic, c.partition), { committed: c.offset, t: decodeMeta(c.metadata)?.t ?? Number.NEGATIVE_INFINITY });
    }
  }

  /**
   * Every partition has been processed up to `ends`: the ones this member holds read up to them
   * (the final flush writes and commits them), the others committed up to them by their holder
   * (a partition held by a member that died counts only once it is reassigned and done).
   */
  caughtUpTo(ends: Map<string, number>): boolean {
    for (const [k, end] of ends) {
      if (end <= 0) continue;
      const st = this.states.get(k);
      if (st && !st.revoked) {
        if (st.readPosition() < end && !st.failed) return false;
      } else if ((this.remote.get(k)?.committed ?? -1) < end) {
        return false;
      }
    }
    return true;
  }
}
