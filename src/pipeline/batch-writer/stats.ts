/** Counters of one batch-writer run, read by the progress reporter, the metrics server and the summary. */
export class WriterStats {
  readonly startedAt = Date.now();
  recordsIn = 0;
  recordsWritten = 0;
  objectsWritten = 0;
  objectsAdopted = 0;
  bytesWritten = 0;
  deadLettered = 0;
  markersWritten = 0;
  lakeErrors = 0;
  /** message of the current lake failure, null when the last write succeeded */
  lakeFailing: string | null = null;
  /** message of the current offset-commit failure, null when the last commit succeeded */
  commitFailing: string | null = null;
  /** consumer lag per `topic:partition` (log end - next offset to read) */
  readonly lag = new Map<string, number>();

  /** records of the held partitions not yet written AND committed (set by the writer; /health) */
  outstanding: () => number = () => this.totalLag();

  totalLag(): number {
    let n = 0;
    for (const v of this.lag.values()) n += v;
    return n;
  }

  seconds(now = Date.now()): number {
    return (now - this.startedAt) / 1000;
  }

  summary(now = Date.now()) {
    const seconds = this.seconds(now);
    return {
      records: this.recordsIn,
      objects: this.objectsWritten,
      adopted: this.objectsAdopted,
      deadLettered: this.deadLettered,
      markers: this.markersWritten,
      bytes: this.bytesWritten,
      seconds: Math.round(seconds * 10) / 10,
      recordsPerSecond: seconds > 0 ? Math.round(this.recordsIn / seconds) : 0,
    };
  }
}
