/**
 * Appends to one partition with group commit: every send queued while the previous write is in
 * flight goes into the next write, so many concurrent sends cost one write + one fdatasync.
 * Appends are serialized across processes by the partition's lock; when the writer takes the lock
 * it first catches up with whatever other processes appended (and cuts off a torn tail), so
 * offsets stay contiguous. The lock is held across a burst of appends (no lock cycle and no
 * catch-up per write): it is released LINGER_MS after the queue ran empty, or after MAX_HOLD_MS of
 * continuous holding (then the writer pauses briefly so that a waiting process gets its turn).
 */
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError, errorMessage } from '../../core/errors.js';
import { tryLock, unlock } from '../../core/lockfile.js';
import { frameBytes, INDEX_ENTRY_BYTES, writeFrame, writeIndexEntry } from './embedded-frame.js';
import { closeQuietly, fdatasyncAsync, fsyncDirSync, indexPath, segmentPath, writeFully } from './embedded-files.js';
import { PartitionTail } from './embedded-tail.js';
import type { TopicMeta } from './embedded-topics.js';

interface Entry {
  keys: (Buffer | null)[];
  values: (Buffer | string)[];
  bytes: number;
  resolve(firstOffset: number): void;
  reject(err: Error): void;
}

/** bytes of frames written by one flush (a single send bigger than this still goes in one write) */
const MAX_FLUSH_BYTES = 8 * 1024 * 1024;
/** writes up to this size go to the page cache synchronously (cheaper than a thread-pool trip) */
const SYNC_WRITE_BYTES = 256 * 1024;
const LOCK_TIMEOUT_MS = 30_000;
/** keep the lock this long after the last append of a burst */
const LINGER_MS = 20;
/** at most this long continuously, then release and pause YIELD_MS */
const MAX_HOLD_MS = 200;
const YIELD_MS = 5;
/** poll interval cap while another process holds the lock (short: holders pause only YIELD_MS) */
const MAX_POLL_MS = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Locks held by writers of this process, released if the process exits while they linger. */
const heldLocks = new Set<string>();
let exitHook = false;
function trackHeld(lockPath: string): void {
  heldLocks.add(lockPath);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const l of heldLocks) {
        try {
          unlock(l);
        } catch {}
      }
    });
  }
}

export class PartitionWriter {
  private queue: Entry[] = [];
  private flushing: Promise<void> | null = null;
  private readonly tail: PartitionTail;
  private readonly lockPath: string;
  private idxFd = -1;
  private idxBase = -1;
  private held = false;
  private heldSince = 0;
  private lingerTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly dir: string,
    private readonly meta: TopicMeta,
    private readonly label: string,
  ) {
    this.tail = new PartitionTail(dir, meta.segmentBytes, true);
    this.lockPath = path.join(dir, '.writer.lock');
  }

  /** Queue records for the next write (string values as UTF-8, valueBytes their byte lengths when known); resolves with the offset of the first once durable. */
  append(keys: (Buffer | null)[], values: (Buffer | string)[], valueBytes?: number[]): Promise<number> {
    let bytes = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      bytes += frameBytes(keys[i]?.length ?? 0, valueBytes?.[i] ?? (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length));
    }
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ keys, values, bytes, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Wait for queued appends, then release the files. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.release();
    this.tail.close();
    this.closeIndex();
  }

  get idle(): boolean {
    return !this.flushing && this.queue.length === 0;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length) {
        if (!this.held && !(await this.acquire())) continue;
        await this.flushOnce();
        if (this.held && this.queue.length && Date.now() - this.heldSince >= MAX_HOLD_MS) {
          this.release();
          await sleep(YIELD_MS);
        }
      }
    } finally {
      this.flushing = null;
      if (this.lingerTimer) clearTimeout(this.lingerTimer);
      if (this.held) this.lingerTimer = setTimeout(() => this.idle && this.release(), LINGER_MS).unref();
    }
  }

  /** Take the partition lock and catch up with other writers; on failure fail every queued send. */
  private async acquire(): Promise<boolean> {
    try {
      const deadline = Date.now() + LOCK_TIMEOUT_MS;
      let wait = 0.25;
      while (!tryLock(this.lockPath)) {
        if (Date.now() > deadline) throw new PinpipeError('LOCKED', `timed out waiting for lock ${this.lockPath}`, { retriable: true });
        await sleep(wait);
        wait = Math.min(wait * 2, MAX_POLL_MS);
      }
      this.held = true;
      this.heldSince = Date.now();
      trackHeld(this.lockPath);
      await this.tail.refresh();
      return true;
    } catch (e) {
      this.release();
      // a failed lock leaves nothing taken: fail everything waiting rather than time out again per send
      const err = this.unavailable(e);
      for (const en of this.queue.splice(0)) en.reject(err);
      return false;
    }
  }

  private release(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    if (!this.held) return;
    this.held = false;
    heldLocks.delete(this.lockPath);
    try {
      unlock(this.lockPath);
    } catch {}
  }

  private take(): Entry[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.bytes <= MAX_FLUSH_BYTES)) bytes += this.queue[n++]!.bytes;
    return this.queue.splice(0, n);
  }

  /** One write + fdatasync of the queued appends, under the held lock. */
  private async flushOnce(): Promise<void> {
    let batch: Entry[] | null = null;
    try {
      if (this.tail.fd < 0 || this.tail.pos >= this.meta.segmentBytes) await this.roll();
      batch = this.take();
      await this.write(batch);
    } catch (e) {
      // start over from the directory under a fresh lock (the next writer cuts any torn tail)
      this.release();
      const err = this.unavailable(e);
      for (const en of batch ?? this.queue.splice(0)) en.reject(err);
    }
  }

  private unavailable(e: unknown): PinpipeError {
    return new PinpipeError('LOG_UNAVAILABLE', `cannot append to log partition ${this.label} (${this.dir}): ${errorCode(e)}`, { retriable: true, cause: e });
  }

  private async roll(): Promise<void> {
    const base = this.tail.next;
    const fd = openSync(segmentPath(this.dir, base), constants.O_RDWR | constants.O_CREAT, 0o644);
    closeSync(fd);
    fsyncDirSync(this.dir);
    this.tail.close();
    await this.tail.open(base);
    this.closeIndex();
  }

  private async write(batch: Entry[]): Promise<void> {
    let total = 0;
    for (const en of batch) total += en.bytes;
    const buf = Buffer.allocUnsafe(total);
    const start = this.tail.pos;
    const interval = this.meta.indexIntervalBytes;
    let lastIndexed = Math.max(this.tail.lastIndexedPos, 0);
    const index: { offset: number; pos: number }[] = [];
    const firsts: number[] = [];
    const ts = Date.now();
    let offset = this.tail.next;
    let p = 0;
    for (const en of batch) {
      firsts.push(offset);
      for (let i = 0; i < en.values.length; i++) {
        if (start + p - lastIndexed >= interval) {
          lastIndexed = start + p;
          index.push({ offset, pos: lastIndexed });
        }
        p = writeFrame(buf, p, offset++, ts, en.keys[i] ?? null, en.values[i]!);
      }
    }
    try {
      if (p <= SYNC_WRITE_BYTES) writeFullySync(this.tail.fd, buf, p, start);
      else await writeFully(this.tail.fd, buf, p, start);
      await fdatasyncAsync(this.tail.fd);
    } catch (e) {
      // cut off what a failed write left behind (best effort; the next writer does it otherwise)
      this.tail.reset();
      await this.tail.refresh().catch(() => {});
      this.tail.reset();
      throw e;
    }
    this.tail.appended(p, offset - this.tail.next, index.length ? lastIndexed : -1);
    if (index.length) this.writeIndex(index);
    batch.forEach((en, i) => en.resolve(firsts[i]!));
  }

  /** Index entries are hints (readers verify them), so they are neither fsynced nor required. */
  private writeIndex(entries: { offset: number; pos: number }[]): void {
    try {
      if (this.idxBase !== this.tail.base) {
        this.closeIndex();
        this.idxFd = openSync(indexPath(this.dir, this.tail.base), constants.O_RDWR | constants.O_CREAT, 0o644);
        this.idxBase = this.tail.base;
      }
      const size = fstatSync(this.idxFd).size;
      const at = Math.floor(size / INDEX_ENTRY_BYTES) * INDEX_ENTRY_BYTES;
      const buf = Buffer.allocUnsafe(entries.length * INDEX_ENTRY_BYTES);
      entries.forEach((e, i) => writeIndexEntry(buf, i * INDEX_ENTRY_BYTES, e.offset, e.pos));
      writeSync(this.idxFd, buf, 0, buf.length, at);
    } catch {
      this.closeIndex();
    }
  }

  private closeIndex(): void {
    closeQuietly(this.idxFd);
    this.idxFd = -1;
    this.idxBase = -1;
  }
}

function writeFullySync(fd: number, buf: Buffer, len: number, pos: number): void {
  let done = 0;
  while (done < len) done += writeSync(fd, buf, done, len - done, pos + done);
}

function errorCode(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? errorMessage(e);
}
