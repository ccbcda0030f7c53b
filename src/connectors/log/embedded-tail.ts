/**
 * Follows the end of one partition: the latest segment, the byte position after its last valid
 * frame and the next offset (the log end offset). Incremental: each refresh only looks at bytes
 * appended since the previous one, and jumps through the sparse index when far behind.
 *
 * Used by writers (under the partition lock, writable: a torn tail is truncated), by the admin's
 * endOffsets and by consumers for the high watermark.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { INDEX_ENTRY_BYTES, readIndexEntries } from './embedded-frame.js';
import { closeQuietly, ftruncateAsync, fstatAsync, indexPath, listSegments, scanFrames, ScanBuffer, segmentPath } from './embedded-files.js';

export interface IndexHint {
  offset: number;
  pos: number;
}

/** Read the index entries of a segment from byte `from` on (missing file: none). */
export function readIndex(dir: string, base: number, from = 0): { entries: IndexHint[]; bytes: number } {
  let fd: number;
  try {
    fd = openSync(indexPath(dir, base), 'r');
  } catch {
    return { entries: [], bytes: from };
  }
  try {
    const size = fstatSync(fd).size;
    const whole = Math.floor(size / INDEX_ENTRY_BYTES) * INDEX_ENTRY_BYTES;
    if (whole <= from) return { entries: [], bytes: from };
    const buf = Buffer.allocUnsafe(whole - from);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n <= 0) break;
      got += n;
    }
    const usable = Math.floor(got / INDEX_ENTRY_BYTES) * INDEX_ENTRY_BYTES;
    return { entries: readIndexEntries(buf, usable), bytes: from + usable };
  } finally {
    closeSync(fd);
  }
}

/** True if a valid frame with this offset starts at pos. */
export async function frameAt(fd: number, pos: number, offset: number, sb: ScanBuffer): Promise<boolean> {
  let ok = false;
  await scanFrames(fd, pos, pos + 1 + 64 * 1024 * 1024, sb, (_b, f) => {
    ok = f.offset === offset;
    return false;
  });
  return ok;
}

const JUMP_BYTES = 1024 * 1024;

export class PartitionTail {
  base = -1;
  fd = -1;
  /** byte position after the last valid frame of the current segment */
  pos = 0;
  /** the log end offset as of the last refresh */
  next = 0;
  /** bytes of the current segment's index already read */
  private idxBytes = 0;
  /** position of the last index entry known in the current segment (-1: none) */
  lastIndexedPos = -1;
  private lastDirCheck = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly sb: ScanBuffer;

  constructor(
    readonly dir: string,
    readonly segmentBytes: number,
    readonly writable: boolean,
    sb?: ScanBuffer,
  ) {
    this.sb = sb ?? new ScanBuffer(64 * 1024);
  }

  /** Bring the tail up to date and return the log end offset. Calls are serialized. */
  refresh(): Promise<number> {
    const run = this.chain.then(() => this.doRefresh());
    this.chain = run.catch(() => {});
    return run;
  }

  private async doRefresh(): Promise<number> {
    for (let guard = 0; guard < 1000; guard++) {
      if (this.fd < 0) {
        const segs = listSegments(this.dir);
        if (segs.length === 0) return this.next;
        await this.open(segs[segs.length - 1]!);
      }
      const size = (await fstatAsync(this.fd)).size;
      if (size < this.pos) {
        // valid frames disappeared (only after an fs failure): start over from the index
        const base = this.base;
        this.close();
        await this.open(base);
        continue;
      }
      if (size > this.pos) await this.advance(size);
      const now = Date.now();
      if (this.pos >= this.segmentBytes || (!this.writable && now - this.lastDirCheck > 1000)) {
        this.lastDirCheck = now;
        const segs = listSegments(this.dir);
        const last = segs[segs.length - 1];
        if (last !== undefined && last > this.base) {
          this.close();
          await this.open(last);
          continue;
        }
      }
      return this.next;
    }
    throw new Error(`log partition ${this.dir} keeps changing under the reader`);
  }

  /** Open segment `base`, positioned at its last verifiable index entry (or its start). */
  async open(base: number): Promise<void> {
    this.fd = openSync(segmentPath(this.dir, base), this.writable ? 'r+' : 'r');
    this.base = base;
    this.pos = 0;
    this.next = base;
    this.idxBytes = 0;
    this.lastIndexedPos = -1;
    await this.jump(Number.MAX_SAFE_INTEGER);
  }

  /** Move to the last verified index entry beyond the current position (reads new entries only). */
  private async jump(limit: number): Promise<void> {
    const { entries, bytes } = readIndex(this.dir, this.base, this.idxBytes);
    this.idxBytes = bytes;
    if (entries.length) this.lastIndexedPos = Math.max(this.lastIndexedPos, entries[entries.length - 1]!.pos);
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      if (e.pos <= this.pos || e.pos >= limit) continue;
      if (await frameAt(this.fd, e.pos, e.offset, this.sb)) {
        this.pos = e.pos;
        this.next = e.offset;
        return;
      }
    }
  }

  private async advance(size: number): Promise<void> {
    if (size - this.pos > JUMP_BYTES) await this.jump(size);
    const { pos, stop } = await scanFrames(this.fd, this.pos, size, this.sb, (_b, f) => {
      this.next = f.offset + 1;
      return true;
    });
    this.pos = pos;
    if (this.writable && stop !== 'end' && pos < size) {
      // torn tail of a writer that died mid-append: we hold the partition lock, so cut it off
      await ftruncateAsync(this.fd, pos);
    }
  }

  /** Take over a position known to be valid (e.g. a reader that just read there). */
  adopt(base: number, pos: number, next: number): Promise<void> {
    const run = this.chain.then(() => {
      if (base < this.base || (base === this.base && pos <= this.pos)) return;
      if (base !== this.base) {
        this.close();
        this.fd = openSync(segmentPath(this.dir, base), this.writable ? 'r+' : 'r');
        this.base = base;
        this.idxBytes = 0;
        this.lastIndexedPos = -1;
      }
      this.pos = pos;
      this.next = next;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /** After an append of our own (under the lock). */
  appended(bytes: number, records: number, lastIndexedPos: number): void {
    this.pos += bytes;
    this.next += records;
    if (lastIndexedPos > this.lastIndexedPos) this.lastIndexedPos = lastIndexedPos;
  }

  /** Forget everything (after a failure): the next refresh starts from the directory listing. */
  reset(): void {
    this.close();
    this.pos = 0;
  }

  close(): void {
    closeQuietly(this.fd);
    this.fd = -1;
    this.base = -1;
  }
}
