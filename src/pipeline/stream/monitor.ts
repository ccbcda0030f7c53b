/**
 * How consume-stream shows itself: GET /health and GET /metrics (Prometheus text) when
 * `metricsPort` is set, a live line on a terminal (ora on stderr: records/s, watermark lag,
 * latest R1 window), periodic structured log lines otherwise, and the final summary line.
 */
import { startHealthServer, type MetricsServer } from '../../core/health-server.js';
import { Exposition, histogramSamples, partitionSamples, sample } from '../../core/prometheus.js';
import { startProgress as startCoreProgress, type Progress } from '../../core/progress.js';
import type { Logger } from '../../core/logger.js';
import { FRESHNESS_BUCKETS, type StreamStats } from './stats.js';

export function renderMetrics(s: StreamStats): string {
  const out = new Exposition();
  const c = s.counters;
  const records = (outcome: string, n: number) => sample('pinpipe_stream_records_total', n, { outcome });
  out.family('pinpipe_stream_records_total', 'counter', 'Records consumed by outcome (in = read for the first time).', [
    records('in', c.recordsIn),
    records('accepted', c.accepted),
    records('duplicate', c.duplicates),
    records('late', c.late),
    records('dead_lettered', c.deadLettered),
  ]);
  out.family('pinpipe_stream_unmatched_total', 'counter', 'Pins of final windows without a partner within the join window.', [
    sample('pinpipe_stream_unmatched_total', c.unmatchedGeo, { partner: 'geo' }),
    sample('pinpipe_stream_unmatched_total', c.unmatchedUser, { partner: 'user' }),
  ]);
  out.single('pinpipe_stream_commits_total', 'counter', 'Realtime commits (rows + checkpoint).', s.commits);
  out.single('pinpipe_stream_commit_failures_total', 'counter', 'Failed realtime or serving store writes (retried).', s.commitFailures);
  out.single('pinpipe_stream_rows_written_total', 'counter', 'Window rows written to the realtime store.', s.rowsWritten);
  out.single('pinpipe_stream_healthy', 'gauge', '1 when the last commit succeeded.', s.failing === null ? 1 : 0);
  const wm = s.watermarkLag();
  out.family(
    'pinpipe_stream_watermark_lag_seconds',
    'gauge',
    'Wall clock minus the stream watermark.',
    wm === null ? [] : [sample('pinpipe_stream_watermark_lag_seconds', wm)],
  );
  out.single('pinpipe_stream_open_windows', 'gauge', 'Minute windows held open.', s.status.windows);
  out.single('pinpipe_stream_held_records', 'gauge', 'Records held in state (open windows, joins, de-duplication).', s.status.held);
  out.single(
    'pinpipe_stream_paused_partitions',
    'gauge',
    'Partitions paused for reading more than a minute of ingested_at ahead of the slowest one.',
    s.pausedPartitions,
  );
  out.single('pinpipe_stream_partition_pauses_total', 'counter', 'Times a partition was paused for reading over a minute ahead of the slowest one.', s.pauses);
  out.family('pinpipe_stream_consumer_lag', 'gauge', 'Records in the log not yet read, per partition.', partitionSamples('pinpipe_stream_consumer_lag', s.lag));
  out.family(
    'pinpipe_stream_freshness_seconds',
    'histogram',
    'Newest applied record ingested_at to its view committed, per commit.',
    histogramSamples('pinpipe_stream_freshness_seconds', { buckets: FRESHNESS_BUCKETS, counts: s.freshnessCounts, sum: s.freshnessSum, count: s.freshnessN }),
  );
  return out.text();
}

export type { MetricsServer } from '../../core/health-server.js';

export function startMetricsServer(stats: StreamStats, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  return startHealthServer(
    {
      metrics: () => renderMetrics(stats),
      health: () => {
        const ok = stats.failing === null;
        return {
          ok,
          body: { status: ok ? 'ok' : 'unhealthy', commit: ok ? 'ok' : stats.failing, lag: stats.totalLag(), watermark: stats.summary().watermark },
        };
      },
    },
    port,
    host,
  );
}

export type { Progress } from '../../core/progress.js';

export function progressLine(s: StreamStats): string {
  const wm = s.watermarkLag();
  const latest = s.status.latest;
  const r1 = latest ? `${latest.minute.slice(11, 16)} UTC ${latest.total} (${latest.top.map(([k, n]) => `${k || '(none)'} ${n}`).join(', ')})` : 'none yet';
  const failing = s.failing ? ` · commit failing: ${s.failing}` : '';
  return `consume-stream: ${s.rate.toLocaleString('en-US')} records/s · watermark lag ${wm === null ? '–' : `${wm.toFixed(1)} s`} · lag ${s.totalLag().toLocaleString('en-US')} · latest R1 ${r1}${failing}`;
}

export function startProgress(stats: StreamStats, logger: Logger, tty: boolean): Progress {
  return startCoreProgress(
    () => progressLine(stats),
    (now) => ({ ...stats.summary(now), watermarkLag: stats.watermarkLag(now), failing: stats.failing }),
    logger,
    tty,
  );
}

export function summaryLine(s: StreamStats): string {
  const x = s.summary();
  const c = s.counters;
  return `consume-stream: ${c.recordsIn} records in, ${c.accepted} accepted, ${c.duplicates} duplicates, ${c.late} late, ${c.deadLettered} dead-lettered, unmatched geo ${c.unmatchedGeo} / user ${c.unmatchedUser}; watermark ${x.watermark ?? '–'}${s.pauses ? `; ${s.pauses} partition pauses (read over a minute ahead of the slowest)` : ''}; ${x.seconds} s\n`;
}
