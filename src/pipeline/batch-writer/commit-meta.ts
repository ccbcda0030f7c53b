/**
 * What the batch writer stores with each offset commit, and where it may commit.
 * Metadata: `{"day": "<dt of the last written record>", "t": "<largest ingested_at written>"}`;
 * `t` lets a restarted writer (or another member) know how far each partition has progressed for
 * the day markers.
 */
import type { Chunk } from './chunk.js';

export interface CommitMeta {
  day: string;
  /** epoch ms of the largest ingested_at written for the partition */
  t: number;
}

export function encodeMeta(meta: CommitMeta): string {
  return JSON.stringify({ day: meta.day, t: new Date(meta.t).toISOString() });
}

/** Tolerant: anything that is not our metadata gives null. */
export function decodeMeta(text: string | null | undefined): CommitMeta | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as { day?: unknown; t?: unknown };
    if (typeof v.day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v.day)) return null;
    const t = typeof v.t === 'string' ? Date.parse(v.t) : Number.NaN;
    return { day: v.day, t: Number.isFinite(t) ? t : Date.parse(`${v.day}T00:00:00Z`) };
  } catch {
    return null;
  }
}

/**
 * The offset to commit for a partition: everything before it is in the lake or dead-lettered.
 * With a chunk still open, that is the chunk's first offset (never past unwritten data);
 * otherwise the next offset to read, or past the last record of an adopted object (already in
 * the lake) if that is further.
 */
export function commitPosition(open: Chunk | null, nextOffset: number, adoptedThrough = -1): number {
  if (open) return open.firstOffset;
  return Math.max(nextOffset, adoptedThrough + 1);
}

/** Metadata after writing a chunk, given the partition's previous metadata. */
export function advanceMeta(prev: CommitMeta | null, day: string, maxMs: number): CommitMeta {
  return { day, t: prev && prev.t > maxMs ? prev.t : maxMs };
}
