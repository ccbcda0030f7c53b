/**
 * The realtime store: live windows of the realtime metrics plus the stream's checkpoint, written
 * atomically together so that a restarted consume-stream resumes exactly where its views stand.
 * Implemented by the embedded SQLite file (embedded.ts) and by Redis via ioredis (redis.ts);
 * both pass test/conformance/realtime.conformance.ts.
 */
import type { Connector } from '../types.js';
import type { TableSpec } from '../../core/tables.js';

/**
 * What the store needs to know of a realtime metric (src/metrics/registry.ts RealtimeMetric has
 * these fields): its id, its table (minute, key columns as text, value columns, final) and which
 * columns are keys and values.
 */
export interface RealtimeShape {
  id: string;
  spec: TableSpec;
  keyColumns: string[];
  valueColumns: string[];
}

export interface WindowRow {
  /** a realtime metric's id (R1, or a user metric's) */
  metric: string;
  /** window start, ISO 8601 UTC, aligned to the minute */
  minute: string;
  /**
   * the key: '' without key columns; the key text with one (a null key is ''); a JSON array of
   * the key texts with several (src/metrics/realtime/evaluate.ts encodeKey)
   */
  key: string;
  /** the metric's value columns (e.g. { postings: 3 }) */
  values: Record<string, number | null>;
  final: boolean;
}

export interface Checkpoint {
  /** next offset to read, per topic-partition (`topic:partition` → offset) */
  offsets: Record<string, number>;
  /** the stream's watermark (epoch ms) when the checkpoint was taken */
  watermark: number;
  /** running counters (accepted, late, unmatched, dead-lettered, ...) */
  counters: Record<string, number>;
}

export interface RealtimeStore extends Connector {
  readonly kind: 'embedded' | 'redis';
  /** connect, and learn (and on the embedded store create or migrate the tables of) the metrics (without: those learnt before) */
  connect(metrics?: RealtimeShape[]): Promise<void>;
  /** atomically upsert window rows and store the group's checkpoint (idempotent on replay) */
  commit(group: string, checkpoint: Checkpoint, rows: WindowRow[]): Promise<void>;
  loadCheckpoint(group: string): Promise<Checkpoint | null>;
  /** windows of a metric whose minute lies in [from, to) (ISO strings), ordered by minute, key */
  read(metric: string, range?: { from?: string; to?: string }): Promise<WindowRow[]>;
  /** delete every window of a metric (its definition changed) */
  reset(metric: string): Promise<void>;
}
