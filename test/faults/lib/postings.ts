/**
 * Input and output of the consumer fault tests: a deterministic stream of stamped postings (as the
 * API would have appended them, with retried duplicates and a few poison values), produced into a
 * log; the raw zone read back and checked for exactly-once; the stream's views read back.
 */
import type { Log, ProduceMessage } from '../../../src/connectors/log/types.js';
import type { Checkpoint, WindowRow } from '../../../src/connectors/realtime/types.js';
import { fromTableRow } from '../../../src/connectors/realtime/rows.js';
import { createLake, createRealtime, createStore } from '../../../src/connectors/registry.js';
import { generatePosting } from '../../../src/connectors/source/generator.js';
import type { Config } from '../../../src/core/config.js';
import type { RecordType } from '../../../src/core/records.js';
import { loadMetrics } from '../../../src/metrics/registry.js';
import { readRaw, type RawObject } from '../../support/raw.js';

export interface InputRecord {
  type: RecordType;
  key: string;
  value: string;
  /** ingested_at in ms (NaN for a poison value) */
  t: number;
}

export interface InputOptions {
  postings: number;
  /** ingested_at of posting 0 */
  t0: number;
  /** ms between postings */
  stepMs: number;
  /** every n-th posting's pin is appended again with the same event_id (a retried request), 1.5 s later */
  duplicateEvery?: number;
  /** every n-th posting is followed by a value that is not JSON on its geo topic (a poison record) */
  poisonEvery?: number;
  seed?: number;
}

/**
 * The records of `postings` postings, in ingested_at order (so each partition is in time order,
 * as the API appends them): pin at t, geo at t+3 ms, user at t+7 ms.
 */
export function buildInput(o: InputOptions): InputRecord[] {
  const out: InputRecord[] = [];
  const seed = o.seed ?? 42;
  for (let i = 0; i < o.postings; i++) {
    const p = generatePosting(seed, i);
    const t = o.t0 + i * o.stepMs;
    // JSON.stringify({ ...rec, event_id, ingested_at }), without copying the record: its text with the two fields added
    const stamp = (type: string, at: number, rec: object) =>
      `${JSON.stringify(rec).slice(0, -1)},"event_id":"f-${seed}-${i}-${type}","ingested_at":"${new Date(at).toISOString()}"}`;
    out.push({ type: 'pin', key: String(i), value: stamp('pin', t, p.pin), t });
    out.push({ type: 'geo', key: String(i), value: stamp('geo', t + 3, p.geo), t: t + 3 });
    out.push({ type: 'user', key: String(i), value: stamp('user', t + 7, p.user), t: t + 7 });
    if (o.duplicateEvery && i % o.duplicateEvery === o.duplicateEvery - 1)
      out.push({ type: 'pin', key: String(i), value: stamp('pin', t + 1500, p.pin), t: t + 1500 });
    if (o.poisonEvery && i % o.poisonEvery === o.poisonEvery - 1) out.push({ type: 'geo', key: String(i), value: `not json {${i}`, t: Number.NaN });
  }
  // time order; a poison value follows the record before it
  const keyed = out.map((r, i) => ({ r, at: Number.isNaN(r.t) ? out[i - 1]!.t : r.t, i }));
  keyed.sort((a, b) => a.at - b.at || a.i - b.i);
  return keyed.map((k) => k.r);
}

/**
 * The body, then one closing posting `gapMs` of record time after its last record. A quiet
 * pipeline's event time advances with the wall clock (issue 9), so the body's last windows, left
 * open, would hold counts that depend on how long a run sat idle: how many of their pins had
 * their joins decided. The closing posting moves the watermark past every window of the body in
 * every run, so runs that are compared can be compared on final windows; its own windows stay open
 * and undecided unless a run sits idle longer than the lateness (10 s).
 */
export function withClosingPosting(body: InputRecord[], gapMs = 150_000): InputRecord[] {
  const last = body.reduce((m, r) => (Number.isNaN(r.t) ? m : Math.max(m, r.t)), -Infinity);
  return [...body, ...buildInput({ postings: 1, t0: last + gapMs, stepMs: 0, seed: 7 })];
}

/**
 * Append the input to a log (topic = prefix + type, key = ind), in order, in batches. Returns
 * `<type>:<partition>:<offset>` of every poison value (what the consumers must dead-letter).
 */
export async function produceInput(log: Log, prefix: string, input: InputRecord[], batch = 5000): Promise<Set<string>> {
  const poison = new Set<string>();
  const p = log.producer();
  await p.connect();
  try {
    for (let i = 0; i < input.length; i += batch) {
      const part = input.slice(i, i + batch);
      const msgs: ProduceMessage[] = part.map((r) => ({ topic: prefix + r.type, key: r.key, value: r.value }));
      const res = await p.send(msgs);
      res.forEach((x, j) => {
        if (Number.isNaN(part[j]!.t)) poison.add(`${part[j]!.type}:${x.partition}:${x.offset}`);
      });
    }
  } finally {
    await p.close();
  }
  return poison;
}

export async function readLake(cfg: Config): Promise<{ objects: RawObject[]; markers: string[] }> {
  const lake = await createLake(cfg);
  try {
    return await readRaw(lake);
  } finally {
    await lake.close();
  }
}

export interface LakeCheck {
  lines: number;
  objects: number;
  duplicates: number;
  missing: number;
  /** anything else wrong (offsets past the end, dead letters in the lake, overlapping objects) */
  problems: string[];
}

/**
 * Exactly once: per `<logical topic>:<partition>`, the offsets across all objects are exactly
 * 0..end-1 minus `except` (dead letters), each once; objects of a partition do not overlap.
 * Returns the counts (asserted by the caller, reported in RELIABILITY.md).
 */
export function checkExactlyOnce(objects: RawObject[], ends: Map<string, number>, except: Set<string> = new Set()): LakeCheck {
  const seen = new Map<string, number[]>();
  for (const o of objects) {
    const k = `${o.topic}:${o.partition}`;
    const list = seen.get(k) ?? [];
    for (const l of o.lines) list.push(l._offset);
    seen.set(k, list);
  }
  let duplicates = 0;
  let missing = 0;
  let lines = 0;
  const problems: string[] = [];
  for (const [tp, end] of ends) {
    const got = (seen.get(tp) ?? []).sort((a, b) => a - b);
    lines += got.length;
    const counts = new Map<number, number>();
    for (const off of got) counts.set(off, (counts.get(off) ?? 0) + 1);
    for (const n of counts.values()) if (n > 1) duplicates += n - 1;
    for (let off = 0; off < end; off++) if (!except.has(`${tp}:${off}`) && !counts.has(off)) missing++;
    for (const off of counts.keys()) {
      if (off >= end) problems.push(`${tp}:${off} is past the log end ${end}`);
      if (except.has(`${tp}:${off}`)) problems.push(`${tp}:${off} is a dead letter but in the lake`);
    }
  }
  for (const tp of seen.keys()) if (!ends.has(tp)) problems.push(`objects of unknown partition ${tp}`);
  const byTp = new Map<string, RawObject[]>();
  for (const o of objects) byTp.set(`${o.topic}:${o.partition}`, [...(byTp.get(`${o.topic}:${o.partition}`) ?? []), o]);
  for (const objs of byTp.values()) {
    objs.sort((a, b) => a.firstOffset - b.firstOffset);
    for (let i = 1; i < objs.length; i++) {
      const prev = objs[i - 1]!.lines;
      if (objs[i]!.firstOffset <= prev[prev.length - 1]!._offset) problems.push(`${objs[i]!.key} overlaps ${objs[i - 1]!.key}`);
    }
  }
  return { lines, objects: objects.length, duplicates, missing, problems: problems.slice(0, 20) };
}

export interface Views {
  /** every realtime row of R1–R5, sorted */
  realtime: WindowRow[];
  /** the serving store's rt_* rows, sorted */
  serving: WindowRow[];
  checkpoint: Checkpoint | null;
}

const order = (a: WindowRow, b: WindowRow) => `${a.metric}|${a.minute}|${a.key}`.localeCompare(`${b.metric}|${b.minute}|${b.key}`);

/** the views of every realtime metric of the stack's config (built-in, and its metrics.dir's) */
export async function readViews(cfg: Config): Promise<Views> {
  const metrics = (await loadMetrics(cfg)).realtime;
  const rt = await createRealtime(cfg);
  const store = await createStore(cfg);
  await rt.connect(metrics);
  await store.connect();
  try {
    const realtime: WindowRow[] = [];
    const serving: WindowRow[] = [];
    for (const m of metrics) {
      realtime.push(...(await rt.read(m.id)));
      serving.push(...(await store.select(m.spec)).map((r) => fromTableRow(m, r)));
    }
    return { realtime: realtime.sort(order), serving: serving.sort(order), checkpoint: await rt.loadCheckpoint(cfg.stream.group) };
  } finally {
    await rt.close();
    await store.close();
  }
}

/** `topic:partition:offset` of every dead letter in the dead-letter topic (logical topics) */
export function deadLetterKeys(values: string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    const d = JSON.parse(v) as { topic: string; partition: number; offset: number };
    out.add(`${d.topic}:${d.partition}:${d.offset}`);
  }
  return out;
}

/**
 * Append the input in real time: consecutive slices of `sliceMs` of record time, one slice every
 * `everyMs` of wall time (so a consumer runs while records keep arriving). Resolves when all is
 * appended; `progress` counts appended records.
 */
export async function trickleInput(
  log: Log,
  prefix: string,
  input: InputRecord[],
  o: { sliceMs: number; everyMs: number; progress?: { appended: number } },
): Promise<void> {
  const p = log.producer();
  await p.connect();
  try {
    let i = 0;
    while (i < input.length) {
      const start = input[i]!.t;
      let j = i;
      while (j < input.length && (Number.isNaN(input[j]!.t) || input[j]!.t < start + o.sliceMs)) j++;
      const t0 = Date.now();
      await p.send(input.slice(i, j).map((r) => ({ topic: prefix + r.type, key: r.key, value: r.value })));
      if (o.progress) o.progress.appended = j;
      i = j;
      const left = o.everyMs - (Date.now() - t0);
      if (left > 0 && i < input.length) await new Promise((r) => setTimeout(r, left));
    }
  } finally {
    await p.close();
  }
}

/**
 * Day markers that claim a day the lake does not hold in full: for each `raw/<topic>/dt=D/_SUCCESS`,
 * the lake's lines of that topic and day must number the input's records of that type and day.
 */
export function incompleteMarkers(objects: RawObject[], markers: string[], input: InputRecord[]): string[] {
  const want = new Map<string, number>();
  for (const r of input)
    if (!Number.isNaN(r.t))
      want.set(`${r.type}/${new Date(r.t).toISOString().slice(0, 10)}`, (want.get(`${r.type}/${new Date(r.t).toISOString().slice(0, 10)}`) ?? 0) + 1);
  const have = new Map<string, number>();
  for (const o of objects)
    for (const l of o.lines) have.set(`${o.topic}/${l.ingested_at.slice(0, 10)}`, (have.get(`${o.topic}/${l.ingested_at.slice(0, 10)}`) ?? 0) + 1);
  const out: string[] = [];
  for (const m of markers) {
    const x = /^raw\/([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/_SUCCESS$/.exec(m);
    if (!x) continue;
    const k = `${x[1]}/${x[2]}`;
    if ((have.get(k) ?? 0) !== (want.get(k) ?? 0)) out.push(`${m} written while the lake holds ${have.get(k) ?? 0} of ${want.get(k) ?? 0} records of that day`);
  }
  return out;
}
