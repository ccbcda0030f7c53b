/**
 * The stream processor of consume-stream: clean → de-duplicate → join by ind → R1–R5 per minute,
 * with a watermark, lateness and finality exactly as docs/design.md "Stream (consume-stream)
 * semantics" says. Pure and deterministic: no clock, no I/O. The runner feeds it consumed batches
 * and log end offsets and writes what `snapshot()` returns.
 */
import type { WindowRow, Checkpoint } from '../../connectors/realtime/types.js';
import type { ConsumedBatch, LogRecord, TopicPartition } from '../../connectors/log/types.js';
import { tpKey } from '../../connectors/log/types.js';
import { projectCleaner, type Projected } from '../../core/clean.js';
import { PinpipeError } from '../../core/errors.js';
import { minuteOf } from '../../core/time.js';
import { TOPICS, type RecordType } from '../../core/records.js';
import { decodeCheckpoint, encodeCheckpoint, type Resume } from './checkpoint.js';
import { PartitionState, overallMax, overrunning, watermarkBase } from './partitions.js';
import { State as StateStore } from './state.js';
import { NO_WATERMARK, type Counters, type DeadLetter, type StreamOptions } from './types.js';
import type { WindowAgg } from './window.js';

export interface Snapshot {
  /** changed open rows (final: false) and newly final rows (final: true), for realtime.commit */
  rows: WindowRow[];
  /** the newly final rows alone, for the serving store */
  finalRows: WindowRow[];
  checkpoint: Checkpoint;
  /** safe points per partition, for the log's consumer group (lag monitoring) */
  safePoints: { topic: string; partition: number; offset: number }[];
  /** next offset to read per partition: what the log's consumer group shows (lag monitoring) */
  readPositions: { topic: string; partition: number; offset: number }[];
}

export interface Status {
  watermark: number;
  windows: number;
  held: number;
  latest: { minute: string; top: [string, number][]; total: number } | null;
}

export class StreamProcessor {
  private readonly parts = new Map<string, PartitionState>();
  private readonly partList: PartitionState[] = [];
  private readonly typeOf = new Map<string, RecordType>();
  private readonly resume: Resume;
  private readonly state: StateStore;
  readonly counters: Counters;
  /** the largest ingested_at applied so far (for the freshness measure) */
  newest = NO_WATERMARK;
  /** since when (runner's clock) every partition has been caught up with nothing new, and the max seen then */
  private idle: { since: number; base: number } | null = null;
  /** per record type: clean.ts's verdict and the values the metrics read (the layout's columns) */
  private readonly cleaners: Record<RecordType, (raw: unknown) => Projected>;

  constructor(
    readonly opts: StreamOptions,
    checkpoint: Checkpoint | null = null,
  ) {
    for (const t of TOPICS) this.typeOf.set(opts.topics[t], t);
    this.resume = decodeCheckpoint(checkpoint);
    this.counters = { ...this.resume.counters };
    const cols = opts.metrics.layout.columns;
    this.cleaners = { pin: projectCleaner('pin', cols.pin), geo: projectCleaner('geo', cols.geo), user: projectCleaner('user', cols.user) };
    this.state = new StateStore(opts, this.counters, this.resume.watermark, (p) => this.partList[p]!);
  }

  get watermark(): number {
    return this.state.watermark;
  }

  /**
   * Where the stored open rows begin (ISO; null without a checkpoint): the runner reads the
   * realtime store's rows from here and passes them to seed() before consuming.
   */
  get seedFrom(): string | null {
    const w = this.state.watermark;
    return w === NO_WATERMARK ? null : new Date(minuteOf(w - 60_000 - this.opts.joinWindow)).toISOString();
  }

  /**
   * Open rows already in the realtime store (after a restart). A key whose count the replay
   * rebuilds as 0 (a displaced duplicate) must still get its final row, over the stored open one.
   */
  seed(rows: WindowRow[]): void {
    for (const r of rows) this.state.seedRow(r);
  }

  /** register partitions (on assignment); returns where each must be read from */
  assign(tps: TopicPartition[]): { topic: string; partition: number; offset: number }[] {
    return tps.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: this.part(tp.topic, tp.partition).pos }));
  }

  /** where to start reading a partition: its safe point from the checkpoint, else 0 */
  startOffset(tp: TopicPartition): number {
    return this.part(tp.topic, tp.partition).pos;
  }

  private part(topic: string, partition: number): PartitionState {
    const key = tpKey(topic, partition);
    let p = this.parts.get(key);
    if (p) return p;
    const type = this.typeOf.get(topic);
    if (!type) throw new PinpipeError('INTERNAL', `consume-stream got topic "${topic}", which is none of ${[...this.typeOf.keys()].join(', ')}`);
    const r = this.resume.partitions.get(key) ?? { safe: 0, read: 0, max: NO_WATERMARK, skips: [] };
    p = new PartitionState(key, topic, partition, type, r, this.partList.length);
    this.parts.set(key, p);
    this.partList.push(p);
    return p;
  }

  /** process one consumed batch; returns the records that failed cleaning (dead letters) */
  ingest(batch: ConsumedBatch): DeadLetter[] {
    const p = this.part(batch.topic, batch.partition);
    const dead: DeadLetter[] = [];
    for (const rec of batch.records) {
      if (rec.offset < p.pos) continue; // delivered again: already processed
      if (rec.offset < p.replayTo) this.replayRecord(p, rec);
      else this.freshRecord(p, rec, dead);
      p.pos = rec.offset + 1;
    }
    p.caughtUp = p.pos >= batch.highWatermark;
    if (p.caughtUp) p.caughtUpMax = overallMax(this.partList);
    this.advance();
    return dead;
  }

  /**
   * log end offsets (`topic:partition` → end) of EVERY partition of the topics: marks idle
   * partitions caught up. A partition not assigned (yet) is registered from the checkpoint and
   * holds the watermark back (and keeps `caughtUp` false) unless it is fully processed: its safe
   * point is at the log end (nothing held, nothing unread).
   */
  observeEnds(ends: Map<string, number>, now?: number): void {
    for (const key of ends.keys()) {
      const i = key.lastIndexOf(':');
      if (!this.parts.has(key) && this.typeOf.has(key.slice(0, i))) this.part(key.slice(0, i), Number(key.slice(i + 1)));
    }
    const max = overallMax(this.partList);
    for (const [key, end] of ends) {
      const p = this.parts.get(key);
      if (!p) continue;
      if (end < p.replayTo) p.replayTo = p.pos; // the log is shorter than the checkpoint says: nothing to replay
      p.caughtUp = p.pos >= end;
      if (p.caughtUp) p.caughtUpMax = max;
    }
    this.advance();
    if (now !== undefined) this.observeIdle(max, now);
  }

  /**
   * A quiet pipeline still closes its windows: while every partition is caught up and nothing new
   * arrives, event time advances with the wall clock from the newest ingested_at seen (`now` is the
   * runner's clock, read right after the log end offsets showed every partition caught up). A
   * record would be late only if it reached the log more than `lateness` after the API stamped it.
   */
  private observeIdle(max: number, now: number): void {
    if (!this.caughtUp || max === NO_WATERMARK) {
      this.idle = null;
      return;
    }
    if (this.idle === null || this.idle.base !== max) {
      this.idle = { since: now, base: max };
      return;
    }
    const w = this.idle.base + Math.max(0, now - this.idle.since) - this.opts.lateness;
    if (w > this.state.watermark) this.state.advance(w);
  }

  private clean(p: PartitionState, rec: LogRecord): Projected {
    let raw: unknown;
    try {
      raw = JSON.parse(rec.value);
    } catch {
      return { ok: false, reason: 'value is not JSON' };
    }
    return this.cleaners[p.type](raw);
  }

  private freshRecord(p: PartitionState, rec: LogRecord, dead: DeadLetter[]): void {
    this.counters.recordsIn++;
    const res = this.clean(p, rec);
    if (!res.ok) {
      this.counters.deadLettered++;
      dead.push({ topic: p.type, partition: rec.partition, offset: rec.offset, reason: res.reason, record: rec.value });
      return;
    }
    const t = Date.parse(res.ingested_at);
    if (t > p.maxSeen) p.maxSeen = t;
    if (t < this.state.watermark) {
      this.counters.late++;
      p.skip(rec.offset, this.state.pruneAt(t), this.state.watermark);
      return;
    }
    this.state.apply(p, rec.offset, res, t, false);
    if (t > this.newest) this.newest = t;
  }

  /** a record the run that wrote the checkpoint had already read: rebuild state, count nothing */
  private replayRecord(p: PartitionState, rec: LogRecord): void {
    const res = this.clean(p, rec);
    if (!res.ok) return; // it went to the dead letters then
    const t = Date.parse(res.ingested_at);
    if (t > p.maxSeen) p.maxSeen = t;
    const pruneAt = this.state.pruneAt(t);
    if (pruneAt <= this.state.watermark) return; // its windows were final at the checkpoint
    if (p.replaySkips.has(rec.offset)) {
      p.skip(rec.offset, pruneAt, this.state.watermark);
      return;
    }
    this.state.apply(p, rec.offset, res, t, true);
  }

  /** the partition is read up to the log end last observed and not replaying */
  isDone(key: string): boolean {
    const p = this.parts.get(key);
    return p !== undefined && p.caughtUp && !p.replaying;
  }

  /** true while some partition is still re-reading records below its checkpointed read position */
  get replaying(): boolean {
    for (const p of this.partList) if (p.replaying) return true;
    return false;
  }

  get caughtUp(): boolean {
    if (!this.partList.length) return false;
    for (const p of this.partList) if (!p.caughtUp) return false;
    return !this.replaying;
  }

  /** move the watermark, decide joins, finalize windows, prune state (not while replaying) */
  private advance(): void {
    if (this.replaying) return;
    const base = watermarkBase(this.partList);
    this.state.advance(base === NO_WATERMARK ? NO_WATERMARK : base - this.opts.lateness);
  }

  /**
   * What to write now: changed open rows, newly final rows and the checkpoint, taken together.
   * Null while replaying after a restart (partial state must not overwrite the views).
   */
  snapshot(): Snapshot | null {
    if (this.replaying) return null;
    const { rows, finalRows } = this.state.takeRows();
    const w = this.state.watermark;
    const pruneAt = (t: number) => this.state.pruneAt(t);
    const parts = this.partList.map((p) => {
      const safe = p.safePoint(w, pruneAt);
      return { key: p.key, topic: p.topic, partition: p.partition, safe, read: p.pos, max: p.maxSeen, skips: p.liveSkips(safe, w) };
    });
    for (const [key, r] of this.resume.partitions) if (!this.parts.has(key)) parts.push({ key, topic: '', partition: -1, ...r });
    return {
      rows,
      finalRows,
      checkpoint: encodeCheckpoint(w, this.counters, parts),
      safePoints: parts.filter((p) => p.partition >= 0).map((p) => ({ topic: p.topic, partition: p.partition, offset: p.safe })),
      readPositions: parts.filter((p) => p.partition >= 0).map((p) => ({ topic: p.topic, partition: p.partition, offset: p.read })),
    };
  }

  /** partitions reading more than aheadMs of ingested_at past the slowest one (partitions.ts overrunning) */
  overrunning(aheadMs: number): TopicPartition[] {
    return overrunning(this.partList, aheadMs).map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  /** next offset to read per partition (`topic:partition` → offset), for the consumer lag */
  positions(): Map<string, number> {
    return new Map(this.partList.map((p) => [p.key, p.pos]));
  }

  status(): Status {
    const latest: WindowAgg | null = this.state.latestWindow();
    const top = latest ? latest.top('R1', 3) : [];
    let held = 0;
    for (const p of this.partList) held += p.heldCount;
    return {
      watermark: this.state.watermark,
      windows: this.state.windowCount,
      held,
      latest: latest ? { minute: latest.iso, top, total: latest.pins } : null,
    };
  }
}
