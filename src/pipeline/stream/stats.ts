/**
 * What consume-stream reports: the processor's counters (kept in the checkpoint) plus the
 * runner's own figures (commits, failures, lag, freshness). Read by the progress line, the
 * periodic log and GET /metrics.
 */
import { NO_WATERMARK, type Counters } from './types.js';
import type { Status } from './processor.js';

/** freshness buckets (seconds) of the Prometheus histogram */
export const FRESHNESS_BUCKETS = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];

export class StreamStats {
  readonly startedAt = Date.now();
  counters: Counters;
  status: Status = { watermark: NO_WATERMARK, windows: 0, held: 0, latest: null };
  commits = 0;
  commitFailures = 0;
  rowsWritten = 0;
  finalRowsWritten = 0;
  /** records read in this process (replays included) */
  recordsRead = 0;
  /** the message of the failing realtime/store commit, null when healthy */
  failing: string | null = null;
  /** log end − read position per partition, from the latest end offsets */
  lag = new Map<string, number>();
  /** partitions paused for reading too far ahead of the slowest one in event time */
  pausedPartitions = 0;
  /** times a partition was paused that way */
  pauses = 0;
  /** newest applied record's ingested_at → its view committed, seconds (latest commit) */
  freshness: number | null = null;
  readonly freshnessCounts = FRESHNESS_BUCKETS.map(() => 0);
  freshnessSum = 0;
  freshnessN = 0;
  private rateAt = Date.now();
  private rateRead = 0;
  /** records/s over the last interval of at least a second */
  rate = 0;

  constructor(counters: Counters) {
    this.counters = counters;
  }

  observeFreshness(seconds: number): void {
    this.freshness = seconds;
    this.freshnessSum += seconds;
    this.freshnessN++;
    FRESHNESS_BUCKETS.forEach((b, i) => {
      if (seconds <= b) this.freshnessCounts[i]!++;
    });
  }

  tickRate(now = Date.now()): void {
    if (now - this.rateAt < 1000) return;
    this.rate = Math.round(((this.recordsRead - this.rateRead) * 1000) / (now - this.rateAt));
    this.rateAt = now;
    this.rateRead = this.recordsRead;
  }

  totalLag(): number {
    let n = 0;
    for (const v of this.lag.values()) n += Math.max(0, v);
    return n;
  }

  /** watermark lag: wall clock − watermark, seconds (null before the first watermark) */
  watermarkLag(now = Date.now()): number | null {
    return this.status.watermark === NO_WATERMARK ? null : Math.max(0, (now - this.status.watermark) / 1000);
  }

  summary(now = Date.now()): Record<string, unknown> {
    const seconds = Math.max(0.001, (now - this.startedAt) / 1000);
    return {
      ...this.counters,
      recordsRead: this.recordsRead,
      commits: this.commits,
      finalRows: this.finalRowsWritten,
      watermark: this.status.watermark === NO_WATERMARK ? null : new Date(this.status.watermark).toISOString(),
      lag: this.totalLag(),
      alignmentPauses: this.pauses,
      seconds: Math.round(seconds * 10) / 10,
      recordsPerSecond: Math.round(this.recordsRead / seconds),
    };
  }
}
