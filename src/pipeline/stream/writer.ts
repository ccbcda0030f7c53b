/**
 * Writes what the stream processor produces, in the order that keeps the views exact:
 *  1. dead letters (before any checkpoint moves past their records),
 *  2. newly final rows into the serving store's rt_* tables of the metrics (idempotent upserts),
 *  3. rows + checkpoint in ONE realtime commit (atomic),
 *  4. the read positions to the log's consumer group (lag monitoring only; best effort: a restart
 *     resumes from the realtime checkpoint's safe points, never from these).
 * A failing store or realtime write is retried with backoff and the checkpoint does not move
 * meanwhile; stats.failing says so (GET /health answers unhealthy).
 */
import type { LogConsumer, LogProducer } from '../../connectors/log/types.js';
import type { RealtimeShape, RealtimeStore, WindowRow } from '../../connectors/realtime/types.js';
import { toTableRow } from '../../connectors/realtime/rows.js';
import type { ServingStore } from '../../connectors/store/types.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { retry } from '../../core/retry.js';
import type { Row } from '../../core/tables.js';
import type { Snapshot } from './processor.js';
import type { StreamStats } from './stats.js';
import { NO_WATERMARK, type DeadLetter } from './types.js';

export interface Sinks {
  group: string;
  realtime: RealtimeStore;
  store: ServingStore;
  /** the realtime metrics, by id (their serving-store tables) */
  metrics: Map<string, RealtimeShape>;
  producer: LogProducer;
  consumer: LogConsumer;
  deadLetterTopic: string;
  logger: Logger;
  stats: StreamStats;
  /** aborting stops retrying (the write then rejects) */
  signal: AbortSignal;
}

const RETRY = { retries: Number.MAX_SAFE_INTEGER, initialMs: 100, maxMs: 5_000 };

export class ViewWriter {
  private lastCheckpoint = '';
  private lastNewest = NO_WATERMARK;
  private logCommitWarned = false;

  constructor(private readonly s: Sinks) {}

  async deadLetters(dead: DeadLetter[]): Promise<void> {
    const at = new Date().toISOString();
    const messages = dead.map((d) => ({
      topic: this.s.deadLetterTopic,
      key: `${d.topic}:${d.partition}:${d.offset}`,
      value: JSON.stringify({ topic: d.topic, partition: d.partition, offset: d.offset, reason: d.reason, record: d.record, at }),
    }));
    await this.retrying('dead-letter send', () => this.s.producer.send(messages), this.s.signal);
  }

  /** write a snapshot (skipped when nothing changed); `newest` = newest applied ingested_at */
  async write(snap: Snapshot, newest: number, signal: AbortSignal = this.s.signal): Promise<void> {
    const cpText = JSON.stringify(snap.checkpoint);
    if (snap.rows.length === 0 && cpText === this.lastCheckpoint) return;
    await this.retrying(
      'commit',
      async () => {
        if (snap.finalRows.length) await upsertFinal(this.s.store, this.s.metrics, snap.finalRows);
        await this.s.realtime.commit(this.s.group, snap.checkpoint, snap.rows);
      },
      signal,
    );
    const st = this.s.stats;
    st.commits++;
    st.rowsWritten += snap.rows.length;
    st.finalRowsWritten += snap.finalRows.length;
    if (snap.rows.length && newest > this.lastNewest) {
      st.observeFreshness(Math.max(0, (Date.now() - newest) / 1000));
      this.lastNewest = newest;
    }
    this.lastCheckpoint = cpText;
    try {
      await this.s.consumer.commit(snap.readPositions);
    } catch (e) {
      if (!this.logCommitWarned) this.s.logger.warn('could not commit offsets to the log consumer group (lag monitoring only)', { error: errorMessage(e) });
      this.logCommitWarned = true;
    }
  }

  private async retrying<T>(what: string, fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const st = this.s.stats;
    const out = await retry(fn, {
      ...RETRY,
      signal,
      onRetry: (err, attempt, delayMs) => {
        st.commitFailures++;
        st.failing = `${what}: ${errorMessage(err)}`;
        if (attempt === 1 || attempt % 10 === 0)
          this.s.logger.warn(`${what} failed; retrying, the checkpoint stays where it is`, { attempt, delayMs, error: errorMessage(err) });
      },
    }).catch((e) => {
      st.failing = `${what}: ${errorMessage(e)}`;
      throw e;
    });
    if (st.failing) this.s.logger.info(`${what} succeeded again`);
    st.failing = null;
    return out;
  }
}

/** final window rows → the serving store's rt_* tables, one upsert per table */
export async function upsertFinal(store: ServingStore, metrics: Map<string, RealtimeShape>, rows: WindowRow[]): Promise<void> {
  const byMetric = new Map<RealtimeShape, Row[]>();
  for (const r of rows) {
    const shape = metrics.get(r.metric);
    if (!shape) throw new Error(`no realtime metric ${r.metric}`);
    const list = byMetric.get(shape) ?? [];
    list.push(toTableRow(shape, r));
    byMetric.set(shape, list);
  }
  for (const [shape, list] of byMetric) await store.upsert(shape.spec, list);
}
