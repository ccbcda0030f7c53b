/**
 * Per-partition bookkeeping of the stream processor: read position, max ingested_at seen,
 * caught-up status (for the watermark), the held records in offset order (for the safe point)
 * and the records that were consumed but not applied (late or displaced duplicates) that a
 * replay after a restart must skip again.
 */
import type { RecordType } from '../../core/records.js';
import { NO_WATERMARK, type Held } from './types.js';

export interface Skip {
  offset: number;
  pruneAt: number;
}

export class PartitionState {
  /** next offset to read */
  pos: number;
  maxSeen = NO_WATERMARK;
  caughtUp = false;
  /** the overall max ingested_at seen when this partition was last confirmed caught up */
  caughtUpMax = NO_WATERMARK;
  /** records up to here were processed before the checkpoint we resumed from (replay below it) */
  replayTo: number;
  /** offsets below replayTo that were not applied in the run that wrote the checkpoint */
  replaySkips: Set<number>;
  /** held records in offset order; entries before `head` are gone */
  private held: Held[] = [];
  private head = 0;
  skips: Skip[] = [];

  constructor(
    readonly key: string,
    readonly topic: string,
    readonly partition: number,
    readonly type: RecordType,
    start: { safe: number; read: number; max: number; skips: number[] },
    readonly index: number,
  ) {
    this.pos = start.safe;
    this.replayTo = start.read;
    this.maxSeen = start.max;
    this.replaySkips = new Set(start.skips);
  }

  get replaying(): boolean {
    return this.pos < this.replayTo;
  }

  hold(h: Held): void {
    this.held.push(h);
  }

  skip(offset: number, pruneAt: number, watermark: number): void {
    if (pruneAt > watermark) this.skips.push({ offset, pruneAt });
  }

  /** the smallest offset of a record still held at this watermark, else the read position (pruneAt: State.pruneAt) */
  safePoint(watermark: number, pruneAt: (t: number) => number): number {
    const held = this.held;
    let h = this.head;
    while (h < held.length && (held[h]!.dead || pruneAt(held[h]!.t) <= watermark)) h++;
    if (h > 1024 && h * 2 > held.length) {
      this.held = held.slice(h);
      h = 0;
    }
    this.head = h;
    return h < this.held.length ? Math.min(this.held[h]!.offset, this.pos) : this.pos;
  }

  /** the not-applied offsets a replay from `safe` would meet again (drops the rest) */
  liveSkips(safe: number, watermark: number): number[] {
    this.skips = this.skips.filter((s) => s.offset >= safe && s.pruneAt > watermark);
    return this.skips.map((s) => s.offset);
  }

  get heldCount(): number {
    return this.held.length - this.head;
  }
}

/** the max ingested_at seen over all partitions */
export function overallMax(parts: Iterable<PartitionState>): number {
  let max = NO_WATERMARK;
  for (const p of parts) if (p.maxSeen > max) max = p.maxSeen;
  return max;
}

/**
 * Event-time alignment: the partitions still reading (not caught up) whose max ingested_at is more
 * than `aheadMs` past the slowest of them, to be paused. A record stays in state until the
 * watermark, which the slowest partition holds, passes it; so a partition that reads far ahead
 * makes the state grow with the backlog instead of the input rate. (Kafka fetches by bytes and a
 * pin is about three times the size of a geo or user record: on a 40-minute backlog, geo and user
 * ran up to 13 minutes ahead of pin.) The slowest partition is never in the set, so reading goes on.
 * A partition that has seen nothing yet and is not known to be caught up counts as the slowest
 * (its records may be the oldest; kafkajs may fetch one partition's whole backlog before another's
 * first batch): every partition that has seen something waits for its first batch, or for the log
 * end offsets to show it empty.
 */
export function overrunning(parts: Iterable<PartitionState>, aheadMs: number): PartitionState[] {
  let slowest = Infinity;
  for (const p of parts) if (!p.caughtUp && p.maxSeen < slowest) slowest = p.maxSeen;
  const out: PartitionState[] = [];
  if (slowest === Infinity) return out;
  for (const p of parts) if (!p.caughtUp && p.maxSeen !== NO_WATERMARK && p.maxSeen > slowest + aheadMs) out.push(p);
  return out;
}

/**
 * The stream watermark before lateness: the minimum over partitions of their max ingested_at
 * seen, where a caught-up partition counts with the overall max seen when it was last confirmed
 * caught up (by its own batch or a check of the log end offsets): an idle partition does not
 * hold the watermark back, yet a caught-up mark that has gone stale (records appended since,
 * e.g. while a commit was failing) cannot let another partition push it past them. When every
 * partition has just been confirmed caught up, it is the overall max. NO_WATERMARK when nothing
 * was seen.
 */
export function watermarkBase(parts: Iterable<PartitionState>): number {
  let min = Infinity;
  for (const p of parts) {
    const v = p.caughtUp ? p.caughtUpMax : p.maxSeen;
    if (v < min) min = v;
  }
  return min === Infinity ? NO_WATERMARK : min;
}
