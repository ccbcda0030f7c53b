/**
 * How the processor's resume data rides in a realtime Checkpoint. `offsets` holds the safe points
 * (where a restart seeks). Besides the public counters, `counters` carries reserved keys that
 * start with `_` (kept in the same atomic commit; every realtime store persists counters):
 *   `_read:<topic:partition>`  next offset the writing run had read (a restart replays below it)
 *   `_max:<topic:partition>`   max ingested_at that run had seen in the partition
 *   `_skip:<topic:partition>:<offset>`  a record in the replay range that was not applied (late or
 *                              a displaced duplicate), so that the replay skips it again
 */
import type { Checkpoint } from '../../connectors/realtime/types.js';
import { COUNTER_NAMES, NO_WATERMARK, zeroCounters, type Counters } from './types.js';

export interface PartitionResume {
  safe: number;
  read: number;
  max: number;
  skips: number[];
}

export interface Resume {
  watermark: number;
  counters: Counters;
  partitions: Map<string, PartitionResume>;
}

export function decodeCheckpoint(cp: Checkpoint | null): Resume {
  const counters = zeroCounters();
  const partitions = new Map<string, PartitionResume>();
  if (!cp) return { watermark: NO_WATERMARK, counters, partitions };
  const part = (key: string): PartitionResume => {
    let p = partitions.get(key);
    if (!p) partitions.set(key, (p = { safe: 0, read: 0, max: NO_WATERMARK, skips: [] }));
    return p;
  };
  for (const [key, offset] of Object.entries(cp.offsets ?? {})) {
    const p = part(key);
    p.safe = Number(offset);
    p.read = Math.max(p.read, p.safe);
  }
  for (const [key, raw] of Object.entries(cp.counters ?? {})) {
    const v = Number(raw);
    if ((COUNTER_NAMES as readonly string[]).includes(key)) counters[key as keyof Counters] = v;
    else if (key.startsWith('_read:')) {
      const p = part(key.slice(6));
      p.read = Math.max(v, p.safe);
    } else if (key.startsWith('_max:')) part(key.slice(5)).max = v;
    else if (key.startsWith('_skip:')) {
      const i = key.lastIndexOf(':');
      part(key.slice(6, i)).skips.push(Number(key.slice(i + 1)));
    }
  }
  const w = Number(cp.watermark);
  return { watermark: Number.isFinite(w) ? Math.max(w, NO_WATERMARK) : NO_WATERMARK, counters, partitions };
}

export interface PartitionSnapshot {
  key: string;
  safe: number;
  read: number;
  max: number;
  skips: number[];
}

export function encodeCheckpoint(watermark: number, counters: Counters, parts: PartitionSnapshot[]): Checkpoint {
  const offsets: Record<string, number> = {};
  const all: Record<string, number> = { ...counters };
  for (const p of parts) {
    offsets[p.key] = p.safe;
    if (p.read !== p.safe) all[`_read:${p.key}`] = p.read;
    if (p.max !== NO_WATERMARK) all[`_max:${p.key}`] = p.max;
    for (const s of p.skips) all[`_skip:${p.key}:${s}`] = 1;
  }
  return { offsets, watermark, counters: all };
}

/** the public counters of a checkpoint (without the reserved `_` keys) */
export function publicCounters(cp: Checkpoint | null): Counters {
  return decodeCheckpoint(cp).counters;
}
