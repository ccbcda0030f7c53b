/**
 * GET /health and GET /metrics (Prometheus text) of the batch writer, when `metricsPort` is set.
 */
import { startHealthServer, type MetricsServer } from '../../core/health-server.js';
import type { WriterStats } from './stats.js';

export function renderMetrics(stats: WriterStats): string {
  const out: string[] = [];
  const counter = (name: string, help: string, value: number) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
  counter('pinpipe_batch_records_in_total', 'Records read from the log.', stats.recordsIn);
  counter('pinpipe_batch_records_written_total', 'Records written to the raw zone.', stats.recordsWritten);
  counter('pinpipe_batch_objects_written_total', 'Raw objects written.', stats.objectsWritten);
  counter('pinpipe_batch_objects_adopted_total', 'Raw objects adopted after a restart.', stats.objectsAdopted);
  counter('pinpipe_batch_bytes_written_total', 'Compressed bytes written to the raw zone.', stats.bytesWritten);
  counter('pinpipe_batch_dead_lettered_total', 'Records sent to the dead-letter topic.', stats.deadLettered);
  counter('pinpipe_batch_lake_errors_total', 'Failed lake reads and writes.', stats.lakeErrors);
  out.push('# HELP pinpipe_batch_consumer_lag Records in the log not yet read, per partition.', '# TYPE pinpipe_batch_consumer_lag gauge');
  for (const [k, v] of [...stats.lag].sort()) {
    const i = k.lastIndexOf(':');
    out.push(`pinpipe_batch_consumer_lag{topic=${JSON.stringify(k.slice(0, i))},partition="${k.slice(i + 1)}"} ${v}`);
  }
  return out.join('\n') + '\n';
}

export type { MetricsServer } from '../../core/health-server.js';

export function startMetricsServer(stats: WriterStats, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  return startHealthServer(
    {
      metrics: () => renderMetrics(stats),
      health: () => {
        const ok = stats.lakeFailing === null && stats.commitFailing === null;
        return { ok, body: { status: ok ? 'ok' : 'degraded', lake: stats.lakeFailing ?? 'ok', commit: stats.commitFailing ?? 'ok', lag: stats.outstanding() } };
      },
    },
    port,
    host,
  );
}
