/**
 * Shared by the consume-batch integration tests: temp configs, producing stamped records straight
 * into the log, and the exactly-once check (the raw zone is read back by test/support/raw.ts).
 */
import { expect } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dayMarkerKey } from '../../src/pipeline/raw-keys.js';
import type { RawObject } from '../support/raw.js';
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
  produce(
    log,
    items.map((s) => ({ topic: cfg.log.topicPrefix + s.topic, key: String(s.ind), value: stampedValue(s) })),
  );

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
