/**
 * Chunks: consecutive records of one partition that fall in one hour partition of the raw zone.
 * Pure closing rules (docs/design.md "Raw zone"): a chunk closes when it holds
 * `batch.chunkRecords` records, before a record of another hour, before a record that would make
 * the record-time span exceed `batch.chunkSpan`, or (decided by the runner) after `batch.idleFlush`
 * without new records.
 */
import { rawChunkKey } from '../raw-keys.js';
import type { Stamp } from './stamp.js';

export interface ChunkLimits {
  chunkRecords: number;
  /** ms */
  chunkSpan: number;
}

export interface Chunk {
  /** logical topic (pin, geo, user) */
  topic: string;
  partition: number;
  day: string;
  hour: string;
  firstOffset: number;
  lastOffset: number;
  count: number;
  minMs: number;
  maxMs: number;
  /** ingested_at of the last record */
  lastMs: number;
  lines: string[];
}

export function openChunk(topic: string, partition: number, offset: number, stamp: Stamp, line: string): Chunk {
  return {
    topic,
    partition,
    day: stamp.day,
    hour: stamp.hour,
    firstOffset: offset,
    lastOffset: offset,
    count: 1,
    minMs: stamp.ms,
    maxMs: stamp.ms,
    lastMs: stamp.ms,
    lines: [line],
  };
}

/** Whether the record may join the chunk (same hour partition, span within limits, room left). */
export function accepts(chunk: Chunk, stamp: Stamp, limits: ChunkLimits): boolean {
  if (chunk.count >= limits.chunkRecords) return false;
  if (stamp.hour !== chunk.hour || stamp.day !== chunk.day) return false;
  const lo = stamp.ms < chunk.minMs ? stamp.ms : chunk.minMs;
  const hi = stamp.ms > chunk.maxMs ? stamp.ms : chunk.maxMs;
  return hi - lo <= limits.chunkSpan;
}

export function append(chunk: Chunk, offset: number, stamp: Stamp, line: string): void {
  chunk.lines.push(line);
  chunk.count++;
  chunk.lastOffset = offset;
  chunk.lastMs = stamp.ms;
  if (stamp.ms < chunk.minMs) chunk.minMs = stamp.ms;
  if (stamp.ms > chunk.maxMs) chunk.maxMs = stamp.ms;
}

export const isFull = (chunk: Chunk, limits: ChunkLimits): boolean => chunk.count >= limits.chunkRecords;

export const chunkKey = (chunk: Pick<Chunk, 'topic' | 'day' | 'hour' | 'partition' | 'firstOffset'>): string =>
  rawChunkKey(chunk.topic, chunk.day, chunk.hour, chunk.partition, chunk.firstOffset);

/** The object body before compression: one line per record, each ending with a newline. */
export const chunkBody = (chunk: Chunk): string => chunk.lines.join('\n') + '\n';
