/**
 * The pipeline's health as one JSON object: what `pinpipe status --json` prints and what the
 * dashboard serves at GET /api/status (docs/dashboard.md lists every field). Times are ISO 8601
 * UTC strings, durations seconds, counts numbers; null where a value is not known.
 */

/** consumer position of one partition, like a row of `kafka-consumer-groups --describe` */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** the group's position: its committed offset (consume-batch) or the stream checkpoint's read position (consume-stream); null: none yet */
  current: number | null;
  /** log end offset (the next offset to be written) */
  end: number;
  /** end − current (end when the group has no position) */
  lag: number;
}

export interface GroupLag {
  group: string;
  role: 'consume-batch' | 'consume-stream';
  /** where `current` comes from */
  position: 'committed offsets' | 'stream checkpoint';
  lag: number;
  partitions: PartitionLag[];
}

/** the latest window of a realtime metric in the realtime store */
export interface OpenWindow {
  metric: string;
  /** window start (ISO), null when the store holds no window near the watermark */
  minute: string | null;
  final: boolean | null;
  /** keys (rows) of that window */
  rows: number;
  /** windows of the metric not final yet */
  open: number;
}

export type DayState = 'done' | 'partial' | 'pending' | 'running' | 'failed';

export interface LedgerDay {
  day: string;
  state: DayState;
  /** why a day is pending: "new", "incomplete: no _SUCCESS for geo", "late data", ... */
  note: string | null;
  /** every topic had its _SUCCESS marker when batch-run processed it (null: never processed) */
  complete: boolean | null;
  raw_records: number | null;
  curated_rows: number | null;
  started_at: string | null;
  finished_at: string | null;
  message: string | null;
}

export interface BatchRun {
  started_at: string;
  day: string;
  reason: string | null;
  status: string;
  finished_at: string | null;
  seconds: number | null;
  raw_records: number | null;
  message: string | null;
}

export interface StatusReport {
  at: string;
  /** exit 0 when true; `problems` says why not */
  healthy: boolean;
  problems: string[];
  thresholds: { max_lag: number; max_watermark_age_s: number };
  connectors: { log: string; lake: string; store: string; realtime: string };
  ingest: {
    /** records in the log's pin, geo and user topics */
    records: number;
    /** records/s since the previous reading (null on the first reading) */
    per_second: number | null;
    topics: { topic: string; records: number }[];
  };
  groups: GroupLag[];
  stream: {
    group: string;
    /** the stream's watermark (ISO); null before consume-stream committed its first checkpoint */
    watermark: string | null;
    /** wall clock − watermark, s */
    watermark_age_s: number | null;
    /** the newest ingested_at the stream has read (ISO) */
    newest_record: string | null;
    /** wall clock − newest_record, s */
    freshness_s: number | null;
    lateness_s: number;
    counters: Record<string, number>;
    windows: OpenWindow[];
  };
  dead_letters: { topic: string; records: number };
  ledger: { counts: Record<DayState, number>; days: LedgerDay[] };
  batch_runs: BatchRun[];
  /** a source that could not be read (the report is partial; healthy is false) */
  errors: { source: string; message: string }[];
}
