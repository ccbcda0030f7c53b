/**
 * GET /health and GET /metrics (Prometheus text) of the batch writer, when `metricsPort` is set.
 */
import { startHealthServer, type MetricsServer } from '../../core/health-server.js';
import { Exposition, partitionSamples } from '../../core/prometheus.js';
import type { WriterStats } from './stats.js';

export function renderMetrics(stats: WriterStats): string {
  const out = new Exposition();
  out.single('pinpipe_batch_records_in_total', 'counter', 'Records read from the log.', stats.recordsIn);
  out.single('pinpipe_batch_records_written_total', 'counter', 'Records written to the raw zone.', stats.recordsWritten);
  out.single('pinpipe_batch_objects_written_total', 'counter', 'Raw objects written.', stats.objectsWritten);
  out.single('pinpipe_batch_objects_adopted_total', 'counter', 'Raw objects adopted after a restart.', stats.objectsAdopted);
  out.single('pinpipe_batch_bytes_written_total', 'counter', 'Compressed bytes written to the raw zone.', stats.bytesWritten);
  out.single('pinpipe_batch_dead_lettered_total', 'counter', 'Records sent to the dead-letter topic.', stats.deadLettered);
  out.single('pinpipe_batch_lake_errors_total', 'counter', 'Failed lake reads and writes.', stats.lakeErrors);
  out.family(
    'pinpipe_batch_consumer_lag',
    'gauge',
    'Records in the log not yet read, per partition.',
    partitionSamples('pinpipe_batch_consumer_lag', stats.lag),
  );
  return out.text();
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
