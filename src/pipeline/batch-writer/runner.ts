/**
 * One function wires the batch writer from config: log consumer → chunks → lake, exactly once.
 * Runs until the signal aborts (then flushes, commits and closes), or with `untilIdle` until every
 * partition has been read up to the log ends taken at the start and everything read is written
 * and committed.
 */
import type { Config } from '../../core/config.js';
import { PinpipeError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { sleep } from '../../core/retry.js';
import { onAbort } from '../../core/shutdown.js';
import { ensureTopics, logTopics } from '../../connectors/open.js';
import type { Lake } from '../../connectors/lake/types.js';
import type { Log } from '../../connectors/log/types.js';
import { DayMarkerTracker } from './markers.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { startProgress } from './progress.js';
import { WriterStats } from './stats.js';
import { BatchWriter } from './writer.js';

export interface RunOptions {
  untilIdle: boolean;
  signal: AbortSignal;
  logger: Logger;
  /** live progress line on stderr */
  tty?: boolean;
}

export interface RunResult {
  stats: WriterStats;
  metricsPort?: number;
}

const MAX_BATCH_RECORDS = 10_000;
const ENDS_EVERY_MS = 1_000;
const REMOTE_EVERY_MS = 5_000;

export async function runBatchWriter(cfg: Config, log: Log, lake: Lake, opts: RunOptions): Promise<RunResult> {
  const { logger, signal } = opts;
  const names = logTopics(cfg);
  const topics = new Map<string, string>(Object.entries(names.records));
  const deadLetterTopic = names.deadLetter;
  await ensureTopics(log, cfg);

  const stats = new WriterStats();
  const producer = log.producer();
  await producer.connect();
  const consumer = log.consumer({ groupId: cfg.batch.group, topics: [...topics.values()], fromBeginning: true, maxBatchRecords: MAX_BATCH_RECORDS });
  const wake = new AbortController();
  const stopWaiting = () => wake.abort();
  // (a stop requested while starting up counts: the signal may already be aborted here)
  const unlisten = onAbort(signal, stopWaiting);
  let consumerError: Error | null = null;
  consumer.onError((err) => {
    consumerError = err;
    stopWaiting();
  });

  const sink = { lake, producer, deadLetterTopic, logger, stats, signal };
  const markers = new DayMarkerTracker(lake, cfg.batch.dayGrace, logger, stats, signal);
  const writer = new BatchWriter(consumer, sink, markers, {
    topics,
    limits: { chunkRecords: cfg.batch.chunkRecords, chunkSpan: cfg.batch.chunkSpan },
    idleFlushMs: cfg.batch.idleFlush,
  });
  const metrics: MetricsServer | null = cfg.metricsPort === undefined ? null : await startMetricsServer(stats, cfg.metricsPort);
  if (metrics) logger.info('metrics listening', { url: `http://127.0.0.1:${metrics.port}/metrics` });
  const progress = startProgress(stats, logger, opts.tty ?? false);

  try {
    await consumer.connect();
    // stopped before joining: no join (and no rebalance of the other members for nothing)
    if (wake.signal.aborted) logger.info('stopped before joining the group: nothing read', { group: cfg.batch.group });
    else {
      await consumer.run(writer.handlers());
      logger.info('consuming', { group: cfg.batch.group, topics: [...topics.values()], untilIdle: opts.untilIdle });
    }
    const target = opts.untilIdle ? await writer.refreshEnds() : null;
    const tick = Math.max(10, Math.min(250, Math.floor(cfg.batch.idleFlush / 4)));
    let endsAt = Date.now();
    let remoteAt = Date.now();
    while (!wake.signal.aborted && !writer.fatal) {
      await sleep(tick, wake.signal);
      if (wake.signal.aborted || writer.fatal) break;
      const now = Date.now();
      if (now - endsAt >= ENDS_EVERY_MS) {
        endsAt = now;
        await writer.refreshEnds();
      }
      if (now - remoteAt >= (target ? ENDS_EVERY_MS : REMOTE_EVERY_MS)) {
        remoteAt = now;
        await writer.refreshRemote();
      }
      await writer.flush(false);
      progress.tick();
      if (target && writer.caughtUpTo(target)) break;
    }
    writer.stopping = true;
    if (!writer.fatal) {
      // current log ends, so that no day marker is decided on ends that went stale (e.g. while a write was retried)
      await writer.refreshEnds().catch((e) => logger.warn('could not read the log end offsets before the final flush', { error: errorMessage(e) }));
      await writer.flush(true);
    }
  } finally {
    writer.stopping = true;
    unlisten();
    progress.stop();
    await consumer.close();
    await producer.close();
    await metrics?.close();
  }
  const failed: Error | null = writer.fatal ?? consumerError;
  if (failed) throw failed;
  if (writer.abandoned) {
    throw new PinpipeError(
      'LAKE_UNAVAILABLE',
      `${writer.abandoned} partition(s) could not be written to the lake; their records stay uncommitted in the log and will be written by the next run`,
      { retriable: true },
    );
  }
  return { stats, metricsPort: metrics?.port };
}
