/**
 * Prometheus text exposition (format 0.0.4), the one writer behind every role's GET /metrics:
 * metric families (# HELP, # TYPE, samples), labels with escaped values, histograms.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Record<string, string>;

/** a label value with backslash, double quote and line feed escaped */
export const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** `{a="x",b="y"}`, or '' without labels */
export function labelText(labels: Labels = {}): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** one sample line: `name{labels} value` */
export const sample = (name: string, value: number | string, labels?: Labels): string => `${name}${labelText(labels)} ${value}`;

export interface HistogramData {
  /** upper bounds of the buckets, ascending (+Inf is added) */
  buckets: readonly number[];
  /** cumulative count per bucket */
  counts: readonly number[];
  sum: number;
  count: number;
}

/** the sample lines of one histogram series: _bucket per bound and +Inf, _sum, _count */
export function histogramSamples(name: string, h: HistogramData, labels: Labels = {}): string[] {
  return [
    ...h.buckets.map((b, i) => sample(`${name}_bucket`, h.counts[i]!, { ...labels, le: String(b) })),
    sample(`${name}_bucket`, h.count, { ...labels, le: '+Inf' }),
    sample(`${name}_sum`, h.sum, labels),
    sample(`${name}_count`, h.count, labels),
  ];
}

export class Exposition {
  private readonly lines: string[] = [];

  /** a metric family: its # HELP (when given) and # TYPE lines, then its samples */
  family(name: string, type: MetricType, help: string | null, samples: string[]): this {
    if (help !== null) this.lines.push(`# HELP ${name} ${help}`);
    this.lines.push(`# TYPE ${name} ${type}`, ...samples);
    return this;
  }

  /** a family of one unlabelled sample */
  single(name: string, type: 'counter' | 'gauge', help: string | null, value: number): this {
    return this.family(name, type, help, [sample(name, value)]);
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

/** per-partition samples of `topic:partition` keys, sorted by key */
export function partitionSamples(name: string, byPartition: Map<string, number>): string[] {
  return [...byPartition].sort().map(([k, v]) => {
    const i = k.lastIndexOf(':');
    return sample(name, v, { topic: k.slice(0, i), partition: k.slice(i + 1) });
  });
}
