/**
 * Files of the embedded log under <dataDir>/log/:
 *
 *   <topic>/meta.json                          partition count etc., fixed at creation
 *   <topic>/<partition>/<base offset, 20 digits>.log   segments of frames (embedded-frame.ts)
 *   <topic>/<partition>/<base offset, 20 digits>.idx   sparse index of that segment (hints)
 *   <topic>/<partition>/.writer.lock           cross-process append lock (src/core/lockfile.ts)
 *   _groups/<group>/<topic>.json               committed offsets of a consumer group
 *   _groups/<group>/.member.lock               the group's single active member
 *
 * Plus small fs helpers: positional reads, frame scanning, atomic writes, directory fsync.
 */
import { closeSync, fdatasync, fstat, ftruncate, openSync, read, readdirSync, write, fsyncSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PinpipeError } from '../../core/errors.js';
import { BAD, INCOMPLETE, parseFrame, type FrameView } from './embedded-frame.js';

export const readAsync = (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => read(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n))));
const writeRaw = (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => write(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n))));
export const fdatasyncAsync = promisify(fdatasync);
export const fstatAsync = promisify(fstat);
export const ftruncateAsync = promisify(ftruncate);

export async function writeFully(fd: number, buf: Buffer, len: number, pos: number): Promise<void> {
  let done = 0;
  while (done < len) done += await writeRaw(fd, buf, done, len - done, pos + done);
}

const NAME_RE = /^[A-Za-z0-9._-]{1,200}$/;

export function checkTopicName(topic: string): void {
  if (typeof topic !== 'string' || !NAME_RE.test(topic) || topic.startsWith('.') || topic === '_groups') {
    throw new PinpipeError(
      'CONFIG_INVALID',
      `invalid topic name ${JSON.stringify(topic)}: use 1-200 letters, digits, ".", "_" or "-", not starting with "." and not "_groups" (check log.topicPrefix)`,
    );
  }
}

/** A group id as a directory name: itself when safe, else a reversible hex form. */
export function groupDirName(group: string): string {
  if (NAME_RE.test(group) && !group.startsWith('.') && !group.startsWith('x-')) return group;
  return `x-${Buffer.from(group, 'utf8').toString('hex')}`.slice(0, 250);
}

export const logDirOf = (dataDir: string): string => path.join(dataDir, 'log');
export const topicDirOf = (logDir: string, topic: string): string => path.join(logDir, topic);
export const partitionDirOf = (logDir: string, topic: string, p: number): string => path.join(logDir, topic, String(p));
export const segmentName = (base: number): string => `${String(base).padStart(20, '0')}.log`;
export const segmentPath = (dir: string, base: number): string => path.join(dir, segmentName(base));
export const indexPath = (dir: string, base: number): string => path.join(dir, `${String(base).padStart(20, '0')}.idx`);

/** Base offsets of the segments in a partition directory, ascending ([] when none). */
export function listSegments(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: number[] = [];
  for (const n of names) if (/^\d{20}\.log$/.test(n)) out.push(Number(n.slice(0, 20)));
  return out.sort((a, b) => a - b);
}

/** Close a file descriptor (none when negative), ignoring errors: for the closing of readers and writers. */
export function closeQuietly(fd: number): void {
  if (fd < 0) return;
  try {
    closeSync(fd);
  } catch {
    // already closed, or its file system gone: nothing left to release
  }
}

export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

let tmpSeq = 0;

/** Write a file atomically and durably: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${++tmpSeq}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
  const dfh = await open(path.dirname(file), 'r');
  try {
    await dfh.sync();
  } finally {
    await dfh.close();
  }
}

/** A growable read buffer, shared by the scans of one owner (never by two scans at once). */
export class ScanBuffer {
  buf: Buffer;
  constructor(size = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }
}

export type ScanStop = 'end' | 'incomplete' | 'bad' | 'stopped';

/**
 * Walk the valid frames of fd in [from, to). onFrame sees each frame (views into sb.buf, valid only
 * during the call) and returns false to stop after it. Returns the position after the last frame
 * accepted and why the walk stopped ('incomplete'/'bad': an unfinished or torn frame at pos).
 */
export async function scanFrames(
  fd: number,
  from: number,
  to: number,
  sb: ScanBuffer,
  onFrame: (buf: Buffer, f: FrameView) => boolean,
): Promise<{ pos: number; stop: ScanStop }> {
  let pos = from;
  const need = { n: 0 };
  while (pos < to) {
    const n = await readAsync(fd, sb.buf, 0, Math.min(sb.buf.length, to - pos), pos);
    if (n <= 0) return { pos, stop: 'incomplete' };
    let p = 0;
    for (;;) {
      const f = parseFrame(sb.buf, p, n, need);
      if (f === BAD) return { pos: pos + p, stop: 'bad' };
      if (f === INCOMPLETE) {
        if (p === 0) {
          // a frame longer than the buffer, or the data is not all there yet
          if (pos + need.n > to || need.n <= sb.buf.length) return { pos, stop: 'incomplete' };
          sb.buf = Buffer.allocUnsafe(need.n);
        }
        break;
      }
      p = f.end;
      if (!onFrame(sb.buf, f)) return { pos: pos + p, stop: 'stopped' };
    }
    pos += p;
  }
  return { pos, stop: 'end' };
}
