/**
 * Cut stamped records into raw-zone chunks with consume-batch's own per-record step
 * (PartitionState.place, the body of its ingest loop), for tests that check chunk rules and keys.
 */
import type { Chunk, ChunkLimits } from '../../src/pipeline/batch-writer/chunk.js';
import { PartitionState, type Closed } from '../../src/pipeline/batch-writer/partition.js';
import type { Stamp } from '../../src/pipeline/batch-writer/stamp.js';

export interface Cut {
  /** chunks closed by the rules, in order */
  closed: Chunk[];
  /** the chunk still open after the last record */
  open: Chunk | null;
}

/** the chunks the batch writer makes of these records (no idle rule: that one depends on the wall clock) */
export function cutChunks(
  topic: string,
  partition: number,
  records: { offset: number; stamp: Stamp; line: string }[],
  limits: ChunkLimits,
  open: Chunk | null = null,
): Cut {
  const state = new PartitionState(topic, topic, partition);
  state.recovering = false;
  state.open = open;
  const closed: Closed[] = [];
  for (const r of records) state.place(r.offset, r.stamp, r.line, limits, closed);
  return { closed: closed.map((c) => (c as Extract<Closed, { kind: 'chunk' }>).chunk), open: state.open };
}
