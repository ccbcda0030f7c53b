/**
 * Day markers `raw/<topic>/dt=D/_SUCCESS` (docs/design.md): day D of a topic is complete when
 * every partition of the topic has written records whose ingested_at is past the end of D plus
 * `batch.dayGrace`, or is idle and caught up while the wall clock is past that point.
 * Markers are decided before the offsets of the write that completes a day are committed, so a
 * restart finds every unmarked day with data between its partitions' committed progress.
 */
import { addDays, dayOf } from '../../core/time.js';

export const dayEndMs = (day: string): number => Date.parse(`${day}T00:00:00Z`) + 86_400_000;

export interface PartitionProgress {
  /** largest ingested_at written to the lake for the partition (epoch ms), -Infinity if none */
  writtenMs: number;
  /** read position has reached the log end */
  caughtUp: boolean;
  /** a chunk is open (records read but not written) */
  pending: boolean;
}

/** How far in record time a partition is known to be complete. */
export function partitionFrontier(p: PartitionProgress, now: number): number {
  return p.caughtUp && !p.pending ? Math.max(p.writtenMs, now) : p.writtenMs;
}

/** A topic is complete up to the least complete of its partitions. */
export function topicFrontier(frontiers: number[]): number {
  return frontiers.length ? Math.min(...frontiers) : Number.NEGATIVE_INFINITY;
}

export const isDayComplete = (day: string, frontier: number, graceMs: number): boolean => frontier > dayEndMs(day) + graceMs;

/** Candidate days, in order, that are complete at the frontier. */
export function completeDays(candidates: Iterable<string>, frontier: number, graceMs: number): string[] {
  return [...candidates].filter((d) => isDayComplete(d, frontier, graceMs)).sort();
}

/** At most this many days back from the largest progress are re-examined on start. */
export const MAX_RESTART_DAYS = 366;

/**
 * Days that may hold unmarked data when a writer starts: from the day before the least committed
 * progress to the day of the largest, over the partitions that have committed progress.
 */
export function restartCandidates(progressMs: number[]): string[] {
  const known = progressMs.filter((t) => Number.isFinite(t));
  if (!known.length) return [];
  const last = dayOf(Math.max(...known));
  let first = addDays(dayOf(Math.min(...known)), -1);
  const floor = addDays(last, -MAX_RESTART_DAYS);
  if (first < floor) first = floor;
  const out: string[] = [];
  for (let d = first; d <= last; d = addDays(d, 1)) out.push(d);
  return out;
}
