/**
 * Shared by the consume-batch integration tests: temp configs, producing stamped records straight
 * into the log, reading the raw zone back, and the exactly-once check.
 */
import { expect } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Lake } from '../../src/connectors/lake/types.js';
import { dayMarkerKey, parseRawChunkKey } from '../../src/pipeline/raw-keys.js';
import type { Log, ProduceMessage, ProduceResult } from '../../src/connectors/log/types.js';
import { loadConfig, type Config } from '../../src/core/config.js';

export const tmpDirs: string[] = [];
export const cleanupDirs = () => tmpDirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));

export function tmpConfig(flags: Record<string, unknown> = {}): Config {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-cb-'));
  tmpDirs.push(dir);
  return loadConfig({ env: {}, flags: { dataDir: dir, 'batch.idleFlush': '60s', ...flags } });
}

export interface Stamped {
  topic: 'pin' | 'geo' | 'user';
  ind: number;
  /** ISO ingested_at chosen by the test */
  at: string;
}

export const stampedValue = (s: Stamped, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ind: s.ind, note: `record ${s.ind} of ${s.topic}`, ...extra, event_id: `${s.topic}-${s.ind}`, ingested_at: s.at });

export async function produce(log: Log, messages: ProduceMessage[]): Promise<ProduceResult[]> {
  const p = log.producer();
  await p.connect();
  try {
    const out: ProduceResult[] = [];
    for (let i = 0; i < messages.length; i += 2000) out.push(...(await p.send(messages.slice(i, i + 2000))));
    return out;
  } finally {
    await p.close();
  }
}

export const produceStamped = (log: Log, cfg: Config, items: Stamped[]) =>
  produce(log, items.map((s) => ({ topic: cfg.log.topicPrefix + s.topic, key: String(s.ind), value: stampedValue(s) })));

export interface RawLine {
  _partition: number;
  _offset: number;
  ingested_at: string;
  [k: string]: unknown;
}

export interface RawObject {
  key: string;
  topic: string;
  partition: number;
  firstOffset: number;
  lines: RawLine[];
}

export async function readRaw(lake: Lake): Promise<{ objects: RawObject[]; markers: string[] }> {
  const objects: RawObject[] = [];
  const markers: string[] = [];
  for (const o of await lake.list('raw/')) {
    const k = parseRawChunkKey(o.key);
    if (!k) {
      markers.push(o.key);
      continue;
    }
    const text = gunzipSync((await lake.get(o.key))!).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as RawLine);
    objects.push({ key: o.key, topic: k.topic, partition: k.partition, firstOffset: k.firstOffset, lines });
    // the key is the first record's: dt/hr of every line, partition, first offset
    expect(lines[0]!._offset).toBe(k.firstOffset);
    for (const l of lines) {
      expect(l._partition).toBe(k.partition);
      expect(l.ingested_at.slice(0, 10)).toBe(k.day);
      expect(l.ingested_at.slice(11, 13)).toBe(k.hour);
    }
  }
  return { objects, markers };
}

/**
 * Exactly once: for every (topic, partition), the offsets across all objects are exactly
 * 0..end-1 (minus `except`), each once, objects hold consecutive ascending offsets, and no two
 * objects of a partition overlap.
 */
export function expectExactlyOnce(objects: RawObject[], ends: Map<string, number>, except: Set<string> = new Set()): void {
  const byTp = new Map<string, RawObject[]>();
  for (const o of objects) {
    const k = `${o.topic}:${o.partition}`;
    byTp.set(k, [...(byTp.get(k) ?? []), o]);
  }
  for (const [tp, end] of ends) {
    const objs = (byTp.get(tp) ?? []).sort((a, b) => a.firstOffset - b.firstOffset);
    const seen = objs.flatMap((o) => o.lines.map((l) => l._offset));
    const want = Array.from({ length: end }, (_, i) => i).filter((i) => !except.has(`${tp}:${i}`));
    expect({ tp, offsets: seen }).toEqual({ tp, offsets: want });
    for (let i = 1; i < objs.length; i++) {
      const prev = objs[i - 1]!.lines;
      expect(objs[i]!.firstOffset).toBeGreaterThan(prev[prev.length - 1]!._offset);
    }
  }
  for (const tp of byTp.keys()) expect(ends.has(tp)).toBe(true);
}

export const markerKeys = (topics: string[], day: string) => topics.map((t) => dayMarkerKey(t, day)).sort();

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
