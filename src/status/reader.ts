/**
 * Reads the pipeline's health from the connectors themselves (never from a running role, so it
 * works with none running): log end offsets and consumer-group offsets, the stream checkpoint
 * (watermark, counters, read positions), the latest windows of each realtime metric, the ledger
 * and the batch history of the serving store, and the raw zone's days. Every store read is one
 * short operation (no long transaction), so it never holds writers up for long.
 */
import type { Config } from '../core/config.js';
import { topicName } from '../core/config.js';
import { errorMessage, isPinpipeError } from '../core/errors.js';
import { DEAD_LETTER_TOPIC, TOPICS } from '../core/records.js';
import { BATCH_HISTORY, LEDGER, type Row } from '../core/tables.js';
import { isoMs, minuteOf } from '../core/time.js';
import type { Lake } from '../connectors/lake/types.js';
import type { Log, LogAdmin } from '../connectors/log/types.js';
import type { RealtimeStore, WindowRow } from '../connectors/realtime/types.js';
import type { ServingStore } from '../connectors/store/types.js';
import type { MetricSet } from '../metrics/registry.js';
import { listRawDays, type RawDays } from '../pipeline/batch-run/days.js';
import { decodeCheckpoint } from '../pipeline/stream/checkpoint.js';
import { COUNTER_NAMES, NO_WATERMARK } from '../pipeline/stream/types.js';
import { batchRun, classifyDays, countDays, groupLag, partitionLags, problemsOf } from './judge.js';
import type { GroupLag, OpenWindow, StatusReport } from './types.js';

export interface StatusThresholds {
  /** records a consumer group may be behind */
  maxLag: number;
  /** ms the stream's watermark may trail the wall clock while it has records to read */
  maxWatermarkAgeMs: number;
}

export const DEFAULT_THRESHOLDS: StatusThresholds = { maxLag: 100_000, maxWatermarkAgeMs: 120_000 };

export interface StatusSources {
  config: Config;
  metrics: MetricSet;
  log: Log;
  lake: Lake;
  store: ServingStore;
  realtime: RealtimeStore;
}

export interface StatusReaderOptions {
  thresholds?: StatusThresholds;
  /** list the raw zone at most this often (ms; default 0: every read) */
  rawEveryMs?: number;
  /** the latest windows when the caller already has them (the dashboard's cache); else read from the store */
  windows?: (watermark: number) => OpenWindow[] | null;
  /** awaited between two store reads (lets writers waiting for the embedded store's lock in) */
  pause?: () => Promise<void>;
  now?: () => number;
}

const HISTORY_SPAN_MS = 24 * 3_600_000;
const RUNS_SHOWN = 10;

/** the latest window of each metric among rows read from the window before the watermark on */
export function latestWindows(metric: string, rows: WindowRow[]): OpenWindow {
  if (!rows.length) return { metric, minute: null, final: null, rows: 0, open: 0 };
  const minute = rows.reduce((m, r) => (r.minute > m ? r.minute : m), rows[0]!.minute);
  const latest = rows.filter((r) => r.minute === minute);
  const open = new Set(rows.filter((r) => !r.final).map((r) => r.minute)).size;
  return { metric, minute, final: latest.every((r) => r.final), rows: latest.length, open };
}

/** the first window start that may still be open at this watermark (and the one before it) */
export const openFrom = (watermark: number, joinWindowMs: number): number => minuteOf(watermark - joinWindowMs) - 60_000;

export class StatusReader {
  private readonly admin: LogAdmin;
  private readonly thresholds: StatusThresholds;
  private readonly now: () => number;
  private prevIngest: { at: number; records: number } | null = null;
  private raw: { at: number; days: RawDays | null; error: string | null } | null = null;

  constructor(
    private readonly src: StatusSources,
    private readonly opts: StatusReaderOptions = {},
  ) {
    this.admin = src.log.admin();
    this.thresholds = opts.thresholds ?? DEFAULT_THRESHOLDS;
    this.now = opts.now ?? Date.now;
  }

  async read(): Promise<StatusReport> {
    const { config: cfg } = this.src;
    const at = this.now();
    const errors: StatusReport['errors'] = [];
    let reads = 0;
    const attempt = async <T>(source: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
      if (source !== 'the log' && reads++) await this.opts.pause?.();
      try {
        return await fn();
      } catch (e) {
        errors.push({ source, message: errorMessage(e) });
        return fallback;
      }
    };

    // the log: end offsets and the batch group's committed offsets, per topic
    const ends = new Map<string, number[]>();
    const batchPos = new Map<string, number[]>();
    const topics = TOPICS.map((t) => topicName(cfg, t));
    await attempt('the log', async () => {
      for (const t of [...topics, topicName(cfg, DEAD_LETTER_TOPIC)]) {
        const end = await this.endOffsets(t);
        ends.set(t, end);
        if (end.length && t !== topicName(cfg, DEAD_LETTER_TOPIC)) batchPos.set(t, await this.admin.groupOffsets(cfg.batch.group, t));
      }
    }, undefined);

    // the stream's checkpoint: watermark, counters, read positions
    const cp = await attempt('the realtime store', () => this.src.realtime.loadCheckpoint(cfg.stream.group), null);
    const resume = decodeCheckpoint(cp);
    const watermark = cp && resume.watermark > NO_WATERMARK ? resume.watermark : null;
    let newest: number | null = null;
    for (const p of resume.partitions.values()) if (p.max > NO_WATERMARK) newest = Math.max(newest ?? p.max, p.max);

    const groups: GroupLag[] = [
      groupLag(cfg.batch.group, 'consume-batch', 'committed offsets', topics.flatMap((t) => partitionLags(t, ends.get(t) ?? [], batchPos.get(t) ?? []))),
      groupLag(
        cfg.stream.group,
        'consume-stream',
        'stream checkpoint',
        topics.flatMap((t) => partitionLags(t, ends.get(t) ?? [], (ends.get(t) ?? []).map((_, p) => resume.partitions.get(`${t}:${p}`)?.read ?? null))),
      ),
    ];

    const windows = watermark === null ? this.src.metrics.realtime.map((m) => latestWindows(m.id, [])) : (this.opts.windows?.(watermark) ?? (await attempt('the realtime store', () => this.readWindows(watermark), [])));
    const ledgerRows = await attempt('the serving store', () => this.src.store.select(LEDGER), [] as Row[]);
    const history = await attempt('the serving store', () => this.src.store.select(BATCH_HISTORY, undefined, { column: 'started_at', from: at - HISTORY_SPAN_MS, to: at + HISTORY_SPAN_MS }), [] as Row[]);
    const raw = await this.rawDays(at, errors);
    const days = classifyDays(ledgerRows, raw);

    const records = topics.reduce((a, t) => a + (ends.get(t) ?? []).reduce((x, y) => x + y, 0), 0);
    const perSecond = this.prevIngest && at > this.prevIngest.at ? Math.max(0, ((records - this.prevIngest.records) * 1000) / (at - this.prevIngest.at)) : null;
    if (!errors.some((e) => e.source === 'the log')) this.prevIngest = { at, records };
    const counters: Record<string, number> = {};
    for (const c of COUNTER_NAMES) counters[c] = resume.counters[c];

    const dedup = errors.filter((e, i) => errors.findIndex((x) => x.source === e.source) === i);
    const partial: Omit<StatusReport, 'healthy' | 'problems'> = {
      at: isoMs(at),
      thresholds: { max_lag: this.thresholds.maxLag, max_watermark_age_s: this.thresholds.maxWatermarkAgeMs / 1000 },
      connectors: { log: cfg.log.kind, lake: cfg.lake.kind, store: cfg.store.kind, realtime: cfg.realtime.kind },
      ingest: { records, per_second: perSecond === null ? null : Math.round(perSecond * 10) / 10, topics: topics.map((t) => ({ topic: t, records: (ends.get(t) ?? []).reduce((x, y) => x + y, 0) })) },
      groups,
      stream: {
        group: cfg.stream.group,
        watermark: watermark === null ? null : isoMs(watermark),
        watermark_age_s: watermark === null ? null : round1((at - watermark) / 1000),
        newest_record: newest === null ? null : isoMs(newest),
        freshness_s: newest === null ? null : round1((at - newest) / 1000),
        lateness_s: cfg.stream.lateness / 1000,
        counters,
        windows,
      },
      dead_letters: { topic: topicName(cfg, DEAD_LETTER_TOPIC), records: (ends.get(topicName(cfg, DEAD_LETTER_TOPIC)) ?? []).reduce((x, y) => x + y, 0) },
      ledger: { counts: countDays(days), days },
      batch_runs: history.slice(-RUNS_SHOWN).reverse().map(batchRun),
      errors: dedup,
    };
    const problems = problemsOf(partial);
    const { at: when, ...rest } = partial;
    return { at: when, healthy: problems.length === 0, problems, ...rest };
  }

  async close(): Promise<void> {
    await this.admin.close();
  }

  /** end offsets of a topic; a topic that does not exist yet has none */
  private async endOffsets(topic: string): Promise<number[]> {
    try {
      return await this.admin.endOffsets(topic);
    } catch (e) {
      if (isPinpipeError(e) && e.code === 'NOT_FOUND') return [];
      throw e;
    }
  }

  private async readWindows(watermark: number): Promise<OpenWindow[]> {
    const from = isoMs(openFrom(watermark, this.src.config.stream.joinWindow));
    const out: OpenWindow[] = [];
    for (const m of this.src.metrics.realtime) out.push(latestWindows(m.id, await this.src.realtime.read(m.id, { from })));
    return out;
  }

  private async rawDays(at: number, errors: StatusReport['errors']): Promise<RawDays | null> {
    if (!this.raw || at - this.raw.at >= (this.opts.rawEveryMs ?? 0)) {
      try {
        this.raw = { at, days: await listRawDays(this.src.lake), error: null };
      } catch (e) {
        this.raw = { at, days: null, error: errorMessage(e) };
      }
    }
    if (this.raw.error) errors.push({ source: 'the lake', message: this.raw.error });
    return this.raw.days;
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

