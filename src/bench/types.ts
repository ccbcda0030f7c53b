/** What a stage benchmark reports, and what it is given. */

export type Status = 'met' | 'missed' | 'info' | 'not-landed' | 'failed';

export interface Row {
  /** stage and what was measured, e.g. "api single: max" */
  stage: string;
  /** the figure, formatted ("16,200 records/s") */
  measured: string;
  /** the target, formatted ("≥ 15,000 records/s"), or '' for an informative row */
  target: string;
  status: Status;
  /** the figure as a number and its unit, for --json */
  value?: number;
  unit?: string;
  /** peak RSS of the role process(es) in the run, MiB */
  peakRssMb?: number | null;
  note?: string;
  /** the machine's 1-minute load average when the stage finished (other work skews figures) */
  loadAvg1?: number;
  /** anything else worth keeping in --json (latency summaries, counts) */
  details?: Record<string, unknown>;
}

export interface Sizes {
  /** records pre-filled into the log for consume-batch / consume-stream (the memory check also runs a quarter of it) */
  consumeRecords: number;
  /** raw records generated for batch-run, in order; query runs over the last */
  batchRecords: number[];
  /** seconds of each API load run */
  apiSeconds: number;
  /** seconds of the freshness run */
  freshnessSeconds: number;
}

export interface BenchContext {
  real: boolean;
  /** the lake of the real stack: S3 (default) or the local directory (real Kafka, MySQL, Redis) */
  lake: 'local' | 's3';
  quick: boolean;
  /** write CPU profiles of roles that miss their target (and summarize them) */
  profile: boolean;
  /** where profiles are kept */
  profileDir: string;
  sizes: Sizes;
  /** progress messages (stderr) */
  log: (msg: string) => void;
  /** things to clean up at the end (stacks shared between stages) */
  cleanups: (() => Promise<void>)[];
  /** shared between the batch-run and query stages: a lake with curated data */
  shared: Map<string, unknown>;
}

export interface Stage {
  name: string;
  summary: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

/** A row for a measured figure against a lower bound (≥) or upper bound (≤). */
export function judged(
  stage: string,
  value: number,
  unit: string,
  bound: { atLeast?: number; atMost?: number },
  fmt: (n: number) => string,
  extra: Partial<Row> = {},
): Row {
  const met = bound.atLeast !== undefined ? value >= bound.atLeast : value <= bound.atMost!;
  const target = bound.atLeast !== undefined ? `≥ ${fmt(bound.atLeast)}` : `≤ ${fmt(bound.atMost!)}`;
  return { stage, measured: fmt(value), target, status: Number.isNaN(value) ? 'failed' : met ? 'met' : 'missed', value, unit, ...extra };
}
