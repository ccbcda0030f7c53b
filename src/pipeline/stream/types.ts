/**
 * Types of the stream processor (consume-stream). The processor is pure and deterministic: it
 * sees consumed batches and log end offsets, never a clock or the network.
 */
import type { RecordType } from '../../core/records.js';
import type { StreamMetrics } from '../../metrics/realtime/stream.js';
import type { Value } from '../../metrics/realtime/ir.js';

export interface StreamOptions {
  /** log topic name of each record type (cfg.log.topicPrefix + type) */
  topics: Record<RecordType, string>;
  /** allowed lateness, ms (cfg.stream.lateness) */
  lateness: number;
  /** join window, ms (cfg.stream.joinWindow): a partner counts when |Δ ingested_at| ≤ joinWindow */
  joinWindow: number;
  /** the realtime metrics and where their columns sit in a record's values (streamMetrics()) */
  metrics: StreamMetrics;
}

export const COUNTER_NAMES = ['recordsIn', 'accepted', 'duplicates', 'late', 'unmatchedGeo', 'unmatchedUser', 'deadLettered'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
export type Counters = Record<CounterName, number>;

export const zeroCounters = (): Counters => ({ recordsIn: 0, accepted: 0, duplicates: 0, late: 0, unmatchedGeo: 0, unmatchedUser: 0, deadLettered: 0 });

/** A record that failed cleaning, to be sent to the dead-letter topic (value format: design.md). */
export interface DeadLetter {
  topic: RecordType;
  partition: number;
  offset: number;
  reason: string;
  record: string;
}

/** The earliest instant the processor uses as "no watermark yet" (smallest valid Date). */
export const NO_WATERMARK = -8.64e15;

/** A record held in state: in an open window, a pending join, or the de-duplication horizon. */
export interface Held {
  ind: number;
  /** ingested_at, epoch ms */
  t: number;
  eventId: string;
  /** index of the partition state in the processor */
  part: number;
  offset: number;
  /** displaced by a copy with the same event_id that counts instead */
  dead: boolean;
}

export interface GeoState extends Held {
  /** the columns the metrics read (ColumnLayout order) */
  vals: Value[];
}

export interface UserState extends Held {
  vals: Value[];
}

export interface PinState extends Held {
  vals: Value[];
  geo: GeoState | null;
  geoDist: number;
  geoDecided: boolean;
  user: UserState | null;
  userDist: number;
  userDecided: boolean;
}
