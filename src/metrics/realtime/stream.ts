/** The realtime metrics as the stream processor runs them: one runtime per metric over one column layout. */
import type { MetricSet } from '../registry.js';
import { MetricRuntime, type ColumnLayout } from './groups.js';

export interface StreamMetrics {
  runtimes: MetricRuntime[];
  layout: ColumnLayout;
}

export function streamMetrics(set: MetricSet): StreamMetrics {
  return { runtimes: set.realtime.map((m) => new MetricRuntime(m.id, m.plan, set.layout.index)), layout: set.layout };
}
