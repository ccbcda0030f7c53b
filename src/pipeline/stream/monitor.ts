/**
 * How consume-stream shows itself: GET /health and GET /metrics (Prometheus text) when
 * `metricsPort` is set, a live line on a terminal (ora on stderr: records/s, watermark lag,
 * latest R1 window), periodic structured log lines otherwise, and the final summary line.
 */
import { startHealthServer, type MetricsServer } from '../../core/health-server.js';
import { startProgress as startCoreProgress, type Progress } from '../../core/progress.js';
import type { Logger } from '../../core/logger.js';
import { FRESHNESS_BUCKETS, type StreamStats } from './stats.js';

export function renderMetrics(s: StreamStats): string {
  const out: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string, lines: string[]) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  const c = s.counters;
  metric('pinpipe_stream_records_total', 'counter', 'Records consumed by outcome (in = read for the first time).', [
    `pinpipe_stream_records_total{outcome="in"} ${c.recordsIn}`,
    `pinpipe_stream_records_total{outcome="accepted"} ${c.accepted}`,
    `pinpipe_stream_records_total{outcome="duplicate"} ${c.duplicates}`,
    `pinpipe_stream_records_total{outcome="late"} ${c.late}`,
    `pinpipe_stream_records_total{outcome="dead_lettered"} ${c.deadLettered}`,
  ]);
  metric('pinpipe_stream_unmatched_total', 'counter', 'Pins of final windows without a partner within the join window.', [
    `pinpipe_stream_unmatched_total{partner="geo"} ${c.unmatchedGeo}`,
    `pinpipe_stream_unmatched_total{partner="user"} ${c.unmatchedUser}`,
  ]);
  metric('pinpipe_stream_commits_total', 'counter', 'Realtime commits (rows + checkpoint).', [`pinpipe_stream_commits_total ${s.commits}`]);
  metric('pinpipe_stream_commit_failures_total', 'counter', 'Failed realtime or serving store writes (retried).', [`pinpipe_stream_commit_failures_total ${s.commitFailures}`]);
  metric('pinpipe_stream_rows_written_total', 'counter', 'Window rows written to the realtime store.', [`pinpipe_stream_rows_written_total ${s.rowsWritten}`]);
  metric('pinpipe_stream_healthy', 'gauge', '1 when the last commit succeeded.', [`pinpipe_stream_healthy ${s.failing === null ? 1 : 0}`]);
  const wm = s.watermarkLag();
  metric('pinpipe_stream_watermark_lag_seconds', 'gauge', 'Wall clock minus the stream watermark.', wm === null ? [] : [`pinpipe_stream_watermark_lag_seconds ${wm}`]);
  metric('pinpipe_stream_open_windows', 'gauge', 'Minute windows held open.', [`pinpipe_stream_open_windows ${s.status.windows}`]);
  metric('pinpipe_stream_held_records', 'gauge', 'Records held in state (open windows, joins, de-duplication).', [`pinpipe_stream_held_records ${s.status.held}`]);
  metric('pinpipe_stream_paused_partitions', 'gauge', 'Partitions paused for reading more than a minute of ingested_at ahead of the slowest one.', [`pinpipe_stream_paused_partitions ${s.pausedPartitions}`]);
  metric('pinpipe_stream_partition_pauses_total', 'counter', 'Times a partition was paused for reading over a minute ahead of the slowest one.', [`pinpipe_stream_partition_pauses_total ${s.pauses}`]);
  metric('pinpipe_stream_consumer_lag', 'gauge', 'Records in the log not yet read, per partition.', [...s.lag].sort().map(([k, v]) => {
    const i = k.lastIndexOf(':');
    return `pinpipe_stream_consumer_lag{topic=${JSON.stringify(k.slice(0, i))},partition="${k.slice(i + 1)}"} ${v}`;
  }));
  metric('pinpipe_stream_freshness_seconds', 'histogram', 'Newest applied record ingested_at to its view committed, per commit.', [
    ...FRESHNESS_BUCKETS.map((b, i) => `pinpipe_stream_freshness_seconds_bucket{le="${b}"} ${s.freshnessCounts[i]}`),
    `pinpipe_stream_freshness_seconds_bucket{le="+Inf"} ${s.freshnessN}`,
    `pinpipe_stream_freshness_seconds_sum ${s.freshnessSum}`,
    `pinpipe_stream_freshness_seconds_count ${s.freshnessN}`,
  ]);
  return out.join('\n') + '\n';
}

export type { MetricsServer } from '../../core/health-server.js';

export function startMetricsServer(stats: StreamStats, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  return startHealthServer(
    {
      metrics: () => renderMetrics(stats),
      health: () => {
        const ok = stats.failing === null;
        return { ok, body: { status: ok ? 'ok' : 'unhealthy', commit: ok ? 'ok' : stats.failing, lag: stats.totalLag(), watermark: stats.summary().watermark } };
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
  return startCoreProgress(() => progressLine(stats), (now) => ({ ...stats.summary(now), watermarkLag: stats.watermarkLag(now), failing: stats.failing }), logger, tty);
}

export function summaryLine(s: StreamStats): string {
  const x = s.summary();
  const c = s.counters;
  return `consume-stream: ${c.recordsIn} records in, ${c.accepted} accepted, ${c.duplicates} duplicates, ${c.late} late, ${c.deadLettered} dead-lettered, unmatched geo ${c.unmatchedGeo} / user ${c.unmatchedUser}; watermark ${x.watermark ?? '–'}${s.pauses ? `; ${s.pauses} partition pauses (read over a minute ahead of the slowest)` : ''}; ${x.seconds} s\n`;
}
