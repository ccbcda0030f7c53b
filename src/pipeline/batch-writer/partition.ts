/**
 * The state of one assigned partition and the per-record loop: de-duplicate, skip adopted
 * records, stamp, cut chunks, find objects to adopt while recovering. No I/O of its own: the
 * adoption look-up is passed in.
 */
import type { LogRecord } from '../../connectors/log/types.js';
import { rawChunkKey } from '../raw-keys.js';
import { PinpipeError } from '../../core/errors.js';
import { accepts, append, isFull, openChunk, type Chunk, type ChunkLimits } from './chunk.js';
import { commitPosition, type CommitMeta } from './commit-meta.js';
import type { ObjectSummary } from './recovery.js';
import { stampRecord, type Stamp } from './stamp.js';

export type Closed = { kind: 'chunk'; chunk: Chunk } | { kind: 'adopted'; key: string; day: string; summary: ObjectSummary };

export interface DeadRecord {
  offset: number;
  key: string | null;
  value: string;
  reason: string;
}

export interface Ingested {
  closed: Closed[];
  dead: DeadRecord[];
  /** records not seen before */
  fresh: number;
}

/** the summary of the object with this key, or null if there is none */
export type AdoptLookup = (key: string) => Promise<ObjectSummary | null>;

export class PartitionState {
  /** next offset to read; -1 until the first record or the committed offset is known */
  nextOffset = -1;
  /** last committed offset (-1: none) */
  committed = -1;
  meta: CommitMeta | null = null;
  /** largest ingested_at written or adopted (epoch ms) */
  writtenMs = Number.NEGATIVE_INFINITY;
  /** looking for written-but-uncommitted objects (until the first miss) */
  recovering = true;
  /** records up to this offset are in an adopted object */
  adoptedThrough = -1;
  open: Chunk | null = null;
  /** wall clock of the last new record */
  lastArrival = 0;
  /** log end seen with the last batch (-1 unknown) */
  highWatermark = -1;
  /** taken away from this member: never write or commit for it again */
  revoked = false;
  /** a write failed for good: nothing more may be committed for it in this process */
  failed = false;

  constructor(
    readonly topic: string,
    readonly logTopic: string,
    readonly partition: number,
  ) {}

  /** Where a commit may go now. */
  position(): number {
    return commitPosition(this.open, this.nextOffset, this.adoptedThrough);
  }

  /** Offset up to which the partition has been read (adopted objects count as read). */
  readPosition(): number {
    return Math.max(this.nextOffset, this.committed, this.adoptedThrough + 1);
  }

  /** A larger log end became known (from a batch or from endOffsets). */
  noteEnd(end: number): void {
    if (end > this.highWatermark) this.highWatermark = end;
  }

  /** Read up to the log end known so far. */
  caughtUp(): boolean {
    return this.highWatermark >= 0 && (this.highWatermark === 0 || this.readPosition() >= this.highWatermark);
  }

  lag(): number {
    return this.highWatermark < 0 ? 0 : Math.max(0, this.highWatermark - this.readPosition());
  }

  /** Close the open chunk (idle flush, shutdown). */
  takeOpen(): Chunk | null {
    const c = this.open;
    this.open = null;
    return c;
  }

  /**
   * The chunk rules for one stamped record: the open chunk closes before a record it cannot take;
   * the record joins the open chunk or opens one; a full chunk closes.
   */
  place(offset: number, stamp: Stamp, line: string, limits: ChunkLimits, closed: Closed[]): void {
    if (this.open && !accepts(this.open, stamp, limits)) {
      closed.push({ kind: 'chunk', chunk: this.open });
      this.open = null;
    }
    if (this.open) append(this.open, offset, stamp, line);
    else this.open = openChunk(this.topic, this.partition, offset, stamp, line);
    if (isFull(this.open, limits)) {
      closed.push({ kind: 'chunk', chunk: this.open });
      this.open = null;
    }
  }

  async ingest(records: LogRecord[], limits: ChunkLimits, adopt: AdoptLookup): Promise<Ingested> {
    const closed: Closed[] = [];
    const dead: DeadRecord[] = [];
    let fresh = 0;
    for (const r of records) {
      if (r.offset < this.nextOffset) continue;
      this.nextOffset = r.offset + 1;
      fresh++;
      if (r.offset <= this.adoptedThrough) continue;
      const s = stampRecord(r.value, this.partition, r.offset);
      if (!s.ok) {
        dead.push({ offset: r.offset, key: r.key, value: r.value, reason: s.reason });
        continue;
      }
      if (this.recovering) {
        // no chunk is open while recovering: the record would open one; adopt the object with its key instead, if any
        const key = rawChunkKey(this.topic, s.stamp.day, s.stamp.hour, this.partition, r.offset);
        const summary = await adopt(key);
        if (summary) {
          if (summary.firstOffset !== r.offset || summary.lastOffset < r.offset) {
            throw new PinpipeError(
              'INTERNAL',
              `raw object ${key} holds offsets ${summary.firstOffset}..${summary.lastOffset}, expected to start at ${r.offset}`,
            );
          }
          this.adoptedThrough = summary.lastOffset;
          closed.push({ kind: 'adopted', key, day: s.stamp.day, summary });
          continue;
        }
        this.recovering = false;
      }
      this.place(r.offset, s.stamp, s.line, limits, closed);
    }
    return { closed, dead, fresh };
  }
}
