/**
 * One tumbling minute of the realtime metrics, updated incrementally (no scans per record): per
 * metric a group per key (src/metrics/realtime/groups.ts), with the keys changed since the last
 * flush so that only changed rows are written. Values are absolute, so writing a row again is
 * idempotent. The window also counts its pins and their matched partners (the unmatched counts).
 */
import type { WindowRow } from '../../connectors/realtime/types.js';
import { isoMs } from '../../core/time.js';
import type { Row } from '../../metrics/realtime/evaluate.js';
import type { Group, MetricRuntime } from '../../metrics/realtime/groups.js';

export class WindowAgg {
  readonly iso: string;
  pins = 0;
  geoMatched = 0;
  userMatched = 0;
  /** per metric (by index): key → group */
  private readonly groups: Map<string, Group>[];
  /** per metric: keys changed since the last rows() */
  private readonly dirty: Set<string>[];

  constructor(
    readonly start: number,
    private readonly metrics: readonly MetricRuntime[],
  ) {
    this.iso = isoMs(start);
    this.groups = metrics.map(() => new Map());
    this.dirty = metrics.map(() => new Set());
  }

  /** count a row into metric `mi` (sign 1) or take it back (−1); WHERE decides whether it counts */
  count(mi: number, row: Row, sign: 1 | -1): void {
    const m = this.metrics[mi]!;
    const key = m.keyOf(row);
    if (key === null) return;
    const groups = this.groups[mi]!;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = m.newGroup()));
    m.apply(g, row, sign);
    this.dirty[mi]!.add(key);
  }

  /** a row of this window already in the store (after a restart): its final row must be written too */
  touch(metric: string, key: string): void {
    const mi = this.metrics.findIndex((m) => m.id === metric);
    if (mi < 0) return;
    const groups = this.groups[mi]!;
    if (!groups.has(key)) groups.set(key, this.metrics[mi]!.newGroup());
  }

  get isDirty(): boolean {
    return this.dirty.some((d) => d.size > 0);
  }

  /**
   * Rows of the changed keys (all keys when final) into `out`, then clears the change marks. A
   * group whose rows were all taken back (a displaced duplicate) still gets a row, so that its
   * stored open row is overwritten; `nonEmpty` (when given) receives only the groups with rows.
   */
  rows(final: boolean, out: WindowRow[], nonEmpty?: WindowRow[]): void {
    const minute = this.iso;
    this.metrics.forEach((m, mi) => {
      const groups = this.groups[mi]!;
      const dirty = this.dirty[mi]!;
      for (const key of final ? groups.keys() : dirty) {
        const g = groups.get(key)!;
        const row: WindowRow = { metric: m.id, minute, key, values: m.valuesOf(g), final };
        out.push(row);
        if (nonEmpty && g.rows > 0) nonEmpty.push(row);
      }
      dirty.clear();
    });
  }

  /** the keys of a metric by its first value, largest first (for the live line) */
  top(metric: string, n: number): [string, number][] {
    const mi = this.metrics.findIndex((m) => m.id === metric);
    if (mi < 0) return [];
    const m = this.metrics[mi]!;
    const first = m.plan.values[0]!.name;
    return [...this.groups[mi]!.entries()]
      .map(([k, g]): [string, number] => [k, m.valuesOf(g)[first] ?? 0])
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, n);
  }
}
