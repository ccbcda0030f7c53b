/**
 * Reads one partition of the embedded log from an offset: finds the segment by its base offset and
 * the byte position through the segment's sparse index (never a scan from the start of the log),
 * then follows appends, crossing into newer segments. Stops before an unfinished or torn frame.
 */
import { openSync } from 'node:fs';
import type { LogRecord } from './types.js';
import { closeQuietly, fstatAsync, listSegments, scanFrames, type ScanBuffer, type ScanStop, segmentPath } from './embedded-files.js';
import { frameAt, PartitionTail, readIndex } from './embedded-tail.js';

export interface ReadResult {
  records: LogRecord[];
  /** log end offset at read time (only computed when records were read; else -1) */
  highWatermark: number;
}

const DIR_CHECK_MS = 1000;

export class PartitionReader {
  private base = -1;
  private fd = -1;
  /** byte position of the next frame in the current segment */
  private pos = 0;
  /** offset of the frame at pos (as far as known) */
  private next = 0;
  /** the offset last asked for (frames below it are skipped) */
  private target = -1;
  private lastDirCheck = 0;
  readonly tail: PartitionTail;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    private readonly segmentBytes: number,
    private readonly sb: ScanBuffer,
  ) {
    this.tail = new PartitionTail(dir, segmentBytes, false);
  }

  /** Up to maxRecords records (and about maxBytes of values) from offset `want` on. */
  async read(want: number, maxRecords: number, maxBytes: number): Promise<ReadResult> {
    if (this.fd < 0 || want < this.next || (want > this.next && want !== this.target)) await this.locate(want);
    this.target = want;
    const records: LogRecord[] = [];
    let bytes = 0;
    const { topic, partition } = this;
    for (let guard = 0; this.fd >= 0 && guard < 64; guard++) {
      const size = (await fstatAsync(this.fd)).size;
      if (size < this.pos) {
        await this.locate(want); // frames vanished (an fs failure was cleaned up): find our place again
        continue;
      }
      let stop: ScanStop = 'end';
      if (size > this.pos) {
        const r = await scanFrames(this.fd, this.pos, size, this.sb, (buf, f) => {
          this.next = f.offset + 1;
          if (f.offset < want) return true;
          records.push({
            topic,
            partition,
            offset: f.offset,
            key: f.keyStart < 0 ? null : buf.toString('utf8', f.keyStart, f.keyEnd),
            value: buf.toString('utf8', f.valueStart, f.end),
            timestamp: f.timestamp,
          });
          bytes += f.end - f.valueStart + 64;
          return records.length < maxRecords && bytes < maxBytes;
        });
        this.pos = r.pos;
        stop = r.stop;
      }
      if (stop === 'end' && records.length < maxRecords && bytes < maxBytes && (await this.nextSegment())) continue;
      break;
    }
    if (records.length === 0) return { records, highWatermark: -1 };
    await this.tail.adopt(this.base, this.pos, this.next);
    return { records, highWatermark: Math.max(await this.tail.refresh(), this.next) };
  }

  /** At the end of the current segment: move to the next one if there is one. */
  private async nextSegment(): Promise<boolean> {
    const now = Date.now();
    if (this.pos < this.segmentBytes && now - this.lastDirCheck < DIR_CHECK_MS) return false;
    this.lastDirCheck = now;
    const later = listSegments(this.dir).find((b) => b > this.base);
    if (later === undefined) return false;
    this.closeFd();
    this.fd = openSync(segmentPath(this.dir, later), 'r');
    this.base = later;
    this.pos = 0;
    this.next = later;
    return true;
  }

  /** Position at the last indexed frame at or before `want` in the segment that holds it. */
  private async locate(want: number): Promise<void> {
    this.closeFd();
    const segs = listSegments(this.dir);
    this.lastDirCheck = Date.now();
    if (segs.length === 0) {
      this.next = 0;
      return;
    }
    let i = segs.length - 1;
    while (i > 0 && segs[i]! > want) i--;
    const base = segs[i]!;
    this.fd = openSync(segmentPath(this.dir, base), 'r');
    this.base = base;
    this.pos = 0;
    this.next = base;
    const { entries } = readIndex(this.dir, base);
    let lo = 0;
    let hi = entries.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid]!.offset <= want) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // an entry is a hint: use the nearest one that really points at its frame
    for (let tries = 0; at >= 0 && tries < 8; at--, tries++) {
      const e = entries[at]!;
      if (await frameAt(this.fd, e.pos, e.offset, this.sb)) {
        this.pos = e.pos;
        this.next = e.offset;
        return;
      }
    }
  }

  private closeFd(): void {
    closeQuietly(this.fd);
    this.fd = -1;
    this.base = -1;
  }

  close(): void {
    this.closeFd();
    this.tail.close();
  }
}
