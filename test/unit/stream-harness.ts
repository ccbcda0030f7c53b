/**
 * Test harness for the stream processor: builders of stamped raw records with chosen ingested_at
 * and event_id, an in-memory log of partitions that delivers batches like a consumer does, and a
 * view that applies snapshots like RealtimeStore.commit (upsert rows by metric, minute, key).
 */
import type { ConsumedBatch } from '../../src/connectors/log/types.js';
import type { Checkpoint, WindowRow } from '../../src/connectors/realtime/types.js';
import type { RecordType } from '../../src/core/records.js';
import { StreamProcessor } from '../../src/pipeline/stream/processor.js';
import type { DeadLetter, StreamOptions } from '../../src/pipeline/stream/types.js';
import { BUILTIN_STREAM } from '../support/metrics.js';

export const OPTS: StreamOptions = { topics: { pin: 'pin', geo: 'geo', user: 'user' }, lateness: 10_000, joinWindow: 30_000, metrics: BUILTIN_STREAM };
export const T0 = Date.parse('2026-11-27T10:00:00.000Z');
/** ISO instant `sec` seconds after T0 */
export const at = (sec: number): string => new Date(T0 + Math.round(sec * 1000)).toISOString();
/** minute start, as rows carry it, `m` minutes after T0 */
export const minute = (m: number): string => new Date(T0 + m * 60_000).toISOString();

let seq = 0;
const nextId = (p: string) => `${p}-${String(++seq).padStart(6, '0')}`;

export interface Rec {
  type: RecordType;
  value: string;
}

export function pin(ind: number, sec: number, o: { id?: string; category?: string; media?: string; followers?: string } = {}): Rec {
  return {
    type: 'pin',
    value: JSON.stringify({
      index: ind,
      unique_id: 'fbe53c66-3442-4773-b19e-d3ec6f54dddf',
      title: 't',
      description: 'd',
      poster_name: 'p',
      follower_count: o.followers ?? '100',
      tag_list: 'a,b',
      is_image_or_video: o.media ?? 'image',
      image_src: 'x',
      downloaded: 1,
      save_location: 'Local save in /data/art',
      category: o.category ?? 'art',
      event_id: o.id ?? nextId('p'),
      ingested_at: at(sec),
    }),
  };
}

export function geo(ind: number, sec: number, o: { id?: string; country?: string } = {}): Rec {
  return {
    type: 'geo',
    value: JSON.stringify({
      ind,
      timestamp: '2020-08-28 03:52:47',
      latitude: 1,
      longitude: 2,
      country: o.country ?? 'Albania',
      event_id: o.id ?? nextId('g'),
      ingested_at: at(sec),
    }),
  };
}

export function user(ind: number, sec: number, o: { id?: string; first?: string; last?: string; age?: number } = {}): Rec {
  return {
    type: 'user',
    value: JSON.stringify({
      ind,
      first_name: o.first ?? 'Abigail',
      last_name: o.last ?? 'Ali',
      age: o.age ?? 20,
      date_joined: '2015-10-24 11:23:51',
      event_id: o.id ?? nextId('u'),
      ingested_at: at(sec),
    }),
  };
}

/** an in-memory log: partitions of values */
export class TestLog {
  readonly parts = new Map<string, { topic: string; partition: number; values: string[] }>();

  constructor(partitions = 1) {
    for (const t of ['pin', 'geo', 'user']) for (let p = 0; p < partitions; p++) this.parts.set(`${t}:${p}`, { topic: t, partition: p, values: [] });
  }

  append(recs: Rec[], partition = 0): this {
    for (const r of recs) this.parts.get(`${r.type}:${partition}`)!.values.push(r.value);
    return this;
  }

  ends(): Map<string, number> {
    return new Map([...this.parts].map(([k, p]) => [k, p.values.length]));
  }

  batch(key: string, from: number, count: number): ConsumedBatch {
    const p = this.parts.get(key)!;
    const records = p.values
      .slice(from, from + count)
      .map((value, i) => ({ topic: p.topic, partition: p.partition, offset: from + i, key: null, value, timestamp: 0 }));
    return { topic: p.topic, partition: p.partition, records, highWatermark: p.values.length };
  }
}

/** the realtime store as the processor sees it: rows upserted by key, plus the checkpoint */
export class View {
  readonly rows = new Map<string, WindowRow>();
  checkpoint: Checkpoint | null = null;
  readonly deadLetters: DeadLetter[] = [];
  commits = 0;

  commit(proc: StreamProcessor): boolean {
    const snap = proc.snapshot();
    if (!snap) return false;
    for (const r of snap.rows) this.rows.set(`${r.metric}|${r.minute}|${r.key}`, r);
    this.checkpoint = JSON.parse(JSON.stringify(snap.checkpoint));
    this.commits++;
    return true;
  }

  /** rows of a metric as [minute, key, values, final] sorted */
  get(metric: string): [string, string, Record<string, number | null>, boolean][] {
    return [...this.rows.values()]
      .filter((r) => r.metric === metric)
      .sort((a, b) => a.minute.localeCompare(b.minute) || a.key.localeCompare(b.key))
      .map((r) => [r.minute, r.key, r.values, r.final]);
  }

  sorted(): WindowRow[] {
    return [...this.rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, r]) => r);
  }
}

/** a small deterministic PRNG */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export interface DriveOptions {
  /** records per batch (default 1) */
  batch?: number;
  /** pick the next partition at random with this seed (default: round robin in key order) */
  seed?: number;
  /** commit a snapshot every n batches (default 1) */
  commitEvery?: number;
  /** stop (as a crash would) after this many batches */
  stopAfter?: number;
  /** at the end, learn the log end offsets (idle partitions caught up) and commit (default true) */
  settle?: boolean;
}

/**
 * Consume the log with a processor like the runner does: assign every partition (seek to its
 * start offset), deliver batches, commit snapshots into the view. Returns false if stopped early.
 */
export function drive(proc: StreamProcessor, log: TestLog, view: View, o: DriveOptions = {}): boolean {
  const pos = new Map<string, number>();
  for (const a of proc.assign([...log.parts.values()].map((p) => ({ topic: p.topic, partition: p.partition })))) pos.set(`${a.topic}:${a.partition}`, a.offset);
  const rand = o.seed === undefined ? null : rng(o.seed);
  let n = 0;
  let rr = 0;
  for (;;) {
    const ready = [...log.parts.keys()].filter((k) => pos.get(k)! < log.parts.get(k)!.values.length);
    if (!ready.length) break;
    const key = rand ? ready[Math.floor(rand() * ready.length)]! : ready[rr++ % ready.length]!;
    const b = log.batch(key, pos.get(key)!, o.batch ?? 1);
    pos.set(key, pos.get(key)! + b.records.length);
    view.deadLetters.push(...proc.ingest(b));
    n++;
    if (n % (o.commitEvery ?? 1) === 0) view.commit(proc);
    if (o.stopAfter !== undefined && n >= o.stopAfter) return false;
  }
  if (o.settle ?? true) {
    proc.observeEnds(log.ends());
    view.commit(proc);
  }
  return true;
}

export const run = (log: TestLog, o: DriveOptions = {}, opts: StreamOptions = OPTS) => {
  const view = new View();
  const proc = new StreamProcessor(opts);
  drive(proc, log, view, o);
  return { view, proc };
};

/**
 * Live delivery: each record is appended and delivered at once as its own batch, followed by a
 * check of the log end offsets (as the runner does periodically), so every partition is
 * confirmed caught up after it (the watermark is then the overall max minus lateness).
 */
export class LiveFeed {
  readonly log: TestLog;
  readonly view = new View();
  readonly proc: StreamProcessor;

  constructor(partitions = 1, opts: StreamOptions = OPTS) {
    this.log = new TestLog(partitions);
    this.proc = new StreamProcessor(opts);
    this.proc.assign([...this.log.parts.values()].map((p) => ({ topic: p.topic, partition: p.partition })));
    this.proc.observeEnds(this.log.ends());
  }

  send(recs: Rec[], partition = 0): this {
    for (const r of recs) {
      const key = `${r.type}:${partition}`;
      const from = this.log.parts.get(key)!.values.length;
      this.log.append([r], partition);
      this.view.deadLetters.push(...this.proc.ingest(this.log.batch(key, from, 1)));
      this.proc.observeEnds(this.log.ends());
    }
    this.view.commit(this.proc);
    return this;
  }
}
