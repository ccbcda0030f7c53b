/**
 * The realtime store: live R1–R5 windows plus the stream's checkpoint, written atomically
 * together so that a restarted consume-stream resumes exactly where its views stand.
 * Implemented by the embedded SQLite file (embedded.ts) and by Redis via ioredis (redis.ts);
 * both pass test/conformance/realtime.conformance.ts.
 */
import type { RealtimeId } from '../../core/tables.js';

export interface WindowRow {
  metric: RealtimeId;
  /** window start, ISO 8601 UTC, aligned to the minute */
  minute: string;
  /** the key value (category, country, age_group); '' for R4 and R5 */
  key: string;
  /** the metric's value columns, as in tables.ts (e.g. { postings: 3 }) */
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

export interface RealtimeStore {
  readonly kind: 'embedded' | 'redis';
  connect(): Promise<void>;
  /** atomically upsert window rows and store the group's checkpoint (idempotent on replay) */
  commit(group: string, checkpoint: Checkpoint, rows: WindowRow[]): Promise<void>;
  loadCheckpoint(group: string): Promise<Checkpoint | null>;
  /** windows of a metric whose minute lies in [from, to) (ISO strings), ordered by minute, key */
  read(metric: RealtimeId, range?: { from?: string; to?: string }): Promise<WindowRow[]>;
  close(): Promise<void>;
}
