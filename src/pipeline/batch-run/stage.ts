/**
 * Staging with clean.ts: raw NDJSON.gz chunks → cleaned records (src/core/clean.ts, the stream's
 * transform) → CSV files (encode.ts) for DuckDB to load. batch-run stages this way the lines its
 * SQL does not vouch for (load.ts): whole chunks, or only the lines at given log offsets. Streams
 * each file line by line; memory is bounded by one read buffer and one write buffer per topic.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { cleanRecord, type CleanRecord } from '../../core/clean.js';
import { TOPICS, type RecordType } from '../../core/records.js';
import { encodeStaged, encodeStagedJson, type LogPosition } from './encode.js';

export interface StageTask {
  topic: RecordType;
  /** local path of a raw chunk (.ndjson.gz) */
  file: string;
  /** count this file's records in the day's figures (false for the neighbour days' margins) */
  count: boolean;
  /**
   * stage only the lines whose `_offset` is one of these (each must be found exactly once, and
   * every line must be JSON; else the task is given up: `escalate`, nothing staged)
   */
  offsets?: number[];
  /** stage as NDJSON for the Spark job (encodeStagedJson) instead of CSV */
  json?: boolean;
}

export interface StageCounts {
  /** raw lines read (records) */
  records: number;
  /** records that cleaned successfully */
  cleaned: number;
  /** records that failed cleaning (they stay in the raw zone; the stream dead-letters them) */
  dead: number;
  /** dead records by reason (at most MAX_REASONS distinct reasons, the rest under "other") */
  reasons: Record<string, number>;
  /** data-quality issues by field */
  issues: Record<string, number>;
  /** a task with `offsets` that could not pick its lines out (stage the whole file instead) */
  escalate?: boolean;
}

const MAX_REASONS = 50;
const WRITE_BUFFER = 1 << 20;

export const emptyCounts = (): StageCounts => ({ records: 0, cleaned: 0, dead: 0, reasons: {}, issues: {} });

export function addCounts(into: StageCounts, c: StageCounts): StageCounts {
  into.records += c.records;
  into.cleaned += c.cleaned;
  into.dead += c.dead;
  for (const [r, n] of Object.entries(c.reasons)) bump(into.reasons, r, n, MAX_REASONS);
  for (const [f, n] of Object.entries(c.issues)) bump(into.issues, f, n);
  return into;
}

function bump(m: Record<string, number>, key: string, n = 1, cap = Infinity): void {
  if (m[key] === undefined && Object.keys(m).length >= cap) key = 'other';
  m[key] = (m[key] ?? 0) + n;
}

/** Chunks up to this compressed size are inflated in one call (fast); larger ones are streamed. */
const WHOLE_FILE_MAX = 8 << 20;
/** Output buffer of a one-call inflate (large: fewer zlib calls and no re-copying of small pieces). */
const INFLATE_CHUNK = 1 << 20;

/** Only space, \t, \v, \f and \r between s and e: a blank line, not a record (the engine's JSON reader skips these too). */
function blank(buf: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c !== 32 && (c < 9 || c > 13)) return false;
  }
  return true;
}

/** Calls fn for each line of buf that is not blank; returns where the unfinished line starts. */
function eachLine(buf: Buffer, fn: (line: string) => void, final: boolean): number {
  let s = 0;
  for (;;) {
    let e = buf.indexOf(10, s);
    if (e < 0) {
      if (!final) return s;
      e = buf.length;
    }
    if (!blank(buf, s, e)) fn(buf.toString('utf8', s, e));
    if (e === buf.length) return e;
    s = e + 1;
  }
}

/** Calls fn for each line of a gzipped NDJSON file (split on bytes, so UTF-8 stays whole). */
export async function forEachGzLine(file: string, fn: (line: string) => void): Promise<void> {
  const fd = openSync(file, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
    // raw chunks are small (consume-batch cuts them at batch.chunkRecords): one read, one inflate
    if (size <= WHOLE_FILE_MAX) {
      const gz = Buffer.allocUnsafe(size);
      let got = 0;
      while (got < size) {
        const n = readSync(fd, gz, got, size - got, got);
        if (n === 0) break;
        got += n;
      }
      eachLine(gunzipSync(gz.subarray(0, got), { chunkSize: INFLATE_CHUNK }), fn, true);
      return;
    }
  } finally {
    closeSync(fd);
  }
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 18 }).pipe(createGunzip({ chunkSize: 1 << 18 }))) {
    const buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    rest = buf.subarray(eachLine(buf, fn, false));
  }
  eachLine(rest, fn, true);
}

/** Clean one raw line into its staged CSV line; null (counted as dead, with the reason) if it fails. */
export function stageLine(topic: RecordType, line: string, counts: StageCounts): string | null {
  const c = cleanLine(topic, line, counts);
  return c === null ? null : encodeStaged(topic, c.value, c.pos);
}

/** Clean one raw line (clean.ts) with its log position; null (counted as dead, with the reason) if it fails. */
function cleanLine(topic: RecordType, line: string, counts: StageCounts): { value: CleanRecord; pos: LogPosition } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    counts.dead++;
    bump(counts.reasons, 'line is not valid JSON', 1, MAX_REASONS);
    return null;
  }
  return cleanParsed(topic, raw, counts);
}

function cleanParsed(topic: RecordType, raw: unknown, counts: StageCounts): { value: CleanRecord; pos: LogPosition } | null {
  const res = cleanRecord(topic, raw);
  if (!res.ok) {
    counts.dead++;
    bump(counts.reasons, res.reason, 1, MAX_REASONS);
    return null;
  }
  counts.cleaned++;
  for (const issue of res.issues) bump(counts.issues, issue.field);
  const r = raw as Record<string, unknown>;
  return {
    value: res.value,
    pos: {
      _partition: Number.isSafeInteger(r._partition) ? (r._partition as number) : null,
      _offset: Number.isSafeInteger(r._offset) ? (r._offset as number) : null,
    },
  };
}

/** Clean one parsed raw line into its staged CSV line; null (counted as dead, with the reason) if it fails. */
function stageParsed(topic: RecordType, raw: unknown, counts: StageCounts): string | null {
  const c = cleanParsed(topic, raw, counts);
  return c === null ? null : encodeStaged(topic, c.value, c.pos);
}

/** Writes staged CSV, one file per topic, under outDir (names carry the writer's id). */
export class StageWriter {
  private readonly fds = new Map<RecordType, number>();
  private readonly buffers = new Map<RecordType, { buf: Buffer; used: number }>();
  readonly files = new Map<RecordType, string>();

  constructor(
    private readonly outDir: string,
    private readonly id: string,
  ) {}

  /** one line (without its line end) */
  write(topic: RecordType, text: string): void {
    let b = this.buffers.get(topic);
    if (!b) this.buffers.set(topic, (b = { buf: Buffer.allocUnsafe(WRITE_BUFFER), used: 0 }));
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (b.used + 3 * text.length + 1 > b.buf.length) {
      this.flush(topic);
      if (3 * text.length + 1 > b.buf.length) {
        writeSync(this.fd(topic), text + '\n');
        return;
      }
    }
    b.used += b.buf.write(text, b.used, 'utf8');
    b.buf[b.used++] = 10;
  }

  private fd(topic: RecordType): number {
    let fd = this.fds.get(topic);
    if (fd === undefined) {
      const file = path.join(this.outDir, `${topic}-${this.id}.csv`);
      fd = openSync(file, 'w');
      this.fds.set(topic, fd);
      this.files.set(topic, file);
    }
    return fd;
  }

  private flush(topic: RecordType): void {
    const b = this.buffers.get(topic);
    if (!b || b.used === 0) return;
    const fd = this.fd(topic);
    for (let off = 0; off < b.used;) off += writeSync(fd, b.buf, off, b.used - off);
    b.used = 0;
  }

  /** flush and close; returns the files written, by topic */
  close(): Partial<Record<RecordType, string>> {
    for (const topic of TOPICS) this.flush(topic);
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    this.buffers.clear();
    return Object.fromEntries(this.files) as Partial<Record<RecordType, string>>;
  }
}

/** Stage one raw chunk (or the lines of its `offsets`); returns its counts. */
export async function stageFile(task: StageTask, out: StageWriter): Promise<StageCounts> {
  const counts = emptyCounts();
  if (task.offsets) return stageOffsets(task, task.offsets, out);
  await forEachGzLine(task.file, (line) => {
    counts.records++;
    if (task.json) {
      const c = cleanLine(task.topic, line, counts);
      if (c !== null) out.write(task.topic, encodeStagedJson(task.topic, c.value, c.pos));
      return;
    }
    const staged = stageLine(task.topic, line, counts);
    if (staged !== null) out.write(task.topic, staged);
  });
  return counts;
}

/**
 * The lines of a chunk at the given log offsets, each found once. Any line that is not JSON, or
 * an offset not found exactly once, gives the task up (nothing is written): its lines cannot be
 * told apart by offset, so the whole chunk is staged instead.
 */
async function stageOffsets(task: StageTask, offsets: number[], out: StageWriter): Promise<StageCounts> {
  const counts = emptyCounts();
  const want = new Set(offsets);
  const found = new Set<number>();
  const lines: string[] = [];
  let escalate = false;
  await forEachGzLine(task.file, (line) => {
    if (escalate) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      escalate = true;
      return;
    }
    const offset = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>)._offset : undefined;
    if (!Number.isSafeInteger(offset)) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) escalate = true;
      return;
    }
    if (!want.has(offset as number)) return;
    if (found.has(offset as number)) {
      escalate = true;
      return;
    }
    found.add(offset as number);
    counts.records++;
    const staged = stageParsed(task.topic, raw, counts);
    if (staged !== null) lines.push(staged);
  });
  if (escalate || found.size !== want.size) return { ...emptyCounts(), escalate: true };
  for (const l of lines) out.write(task.topic, l);
  return counts;
}
