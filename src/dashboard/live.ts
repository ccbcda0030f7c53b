/**
 * The dashboard's copy of the last hour of every realtime metric's windows, kept fresh by short
 * reads of the realtime store: each poll reads the stream's checkpoint (one small read); only when
 * it changed (consume-stream commits windows and checkpoint atomically, so every commit changes
 * it) are the windows re-read, and only those that can have changed since the previous poll: from
 * the first window still open at the previous watermark on. The whole hour is read at start and
 * every `fullEveryMs` (catches a metric reset), in slices of `sliceMs`, one short read each.
 * consume-stream does not know about any of this: the dashboard only reads.
 */
import type { RealtimeStore, WindowRow } from '../connectors/realtime/types.js';
import { isoMs, minuteOf } from '../core/time.js';
import type { RealtimeMetric } from '../metrics/registry.js';
import { decodeCheckpoint } from '../pipeline/stream/checkpoint.js';
import { NO_WATERMARK } from '../pipeline/stream/types.js';
import { latestWindows, openFrom } from '../status/reader.js';
import type { OpenWindow } from '../status/types.js';

export interface LiveOptions {
  group: string;
  joinWindowMs: number;
  /** how much history is kept (default one hour) */
  spanMs?: number;
  /** re-read the whole span this often (default 5 minutes) */
  fullEveryMs?: number;
  /** a full read is cut into reads of this span (default 10 minutes) */
  sliceMs?: number;
  /** called before each window read (after the checkpoint's), to give writers waiting for the store's lock their turn */
  pause?: () => Promise<void>;
  now?: () => number;
}

/** the windows of one metric that changed (or all of its windows when `replace`) */
export interface WindowChange {
  metric: string;
  replace: boolean;
  rows: WindowRow[];
}

const rowKey = (r: WindowRow) => `${r.minute}\u0000${r.key}`;
const same = (a: WindowRow, b: WindowRow) => a.final === b.final && JSON.stringify(a.values) === JSON.stringify(b.values);
const byMinuteKey = (a: WindowRow, b: WindowRow) => (a.minute < b.minute ? -1 : a.minute > b.minute ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export class LiveWindows {
  private readonly windows = new Map<string, Map<string, WindowRow>>();
  private checkpoint: string | null | undefined = undefined;
  private watermark: number | null = null;
  private lastFull = -Infinity;
  private readonly span: number;
  private readonly now: () => number;

  constructor(
    private readonly realtime: RealtimeStore,
    private readonly metrics: RealtimeMetric[],
    private readonly opts: LiveOptions,
  ) {
    this.span = opts.spanMs ?? 3_600_000;
    this.now = opts.now ?? Date.now;
    for (const m of metrics) this.windows.set(m.id, new Map());
  }

  /** the stream's watermark at the last poll (epoch ms), null before its first checkpoint */
  get streamWatermark(): number | null {
    return this.watermark;
  }

  /** Read what changed since the last poll; returns the changes (none when nothing moved). */
  async poll(): Promise<WindowChange[]> {
    const now = this.now();
    const cp = await this.realtime.loadCheckpoint(this.opts.group);
    const text = cp ? JSON.stringify(cp) : null;
    const full = now - this.lastFull >= (this.opts.fullEveryMs ?? 300_000);
    if (!full && text === this.checkpoint) return [];
    const w = decodeCheckpoint(cp).watermark;
    const wm = cp && w > NO_WATERMARK ? w : null;
    const start = minuteOf(now - this.span);
    const changes: WindowChange[] = [];
    if (full) {
      const slice = this.opts.sliceMs ?? 600_000;
      for (const m of this.metrics) {
        const rows: WindowRow[] = [];
        for (let from = start, last = false; !last; from += slice) {
          last = from + slice >= minuteOf(now); // the last slice is open-ended
          await this.opts.pause?.();
          rows.push(...(await this.realtime.read(m.id, { from: isoMs(from), to: last ? undefined : isoMs(from + slice) })));
        }
        const change = this.replace(m.id, rows);
        if (change) changes.push(change);
      }
      this.lastFull = now;
    } else {
      // windows that can have changed: those still open at the older of the two watermarks
      const since = Math.max(start, this.watermark === null || wm === null ? start : openFrom(Math.min(this.watermark, wm), this.opts.joinWindowMs));
      for (const m of this.metrics) {
        await this.opts.pause?.();
        const change = this.merge(m.id, await this.realtime.read(m.id, { from: isoMs(since) }));
        if (change) changes.push(change);
      }
    }
    this.checkpoint = text;
    this.watermark = wm;
    this.evict(start);
    return changes;
  }

  /** the windows of a metric in the kept span, ordered by minute and key */
  rows(metric: string): WindowRow[] {
    return [...(this.windows.get(metric)?.values() ?? [])].sort(byMinuteKey);
  }

  /** the latest window of every metric (for the status report) */
  latest(): OpenWindow[] {
    return this.metrics.map((m) => latestWindows(m.id, [...this.windows.get(m.id)!.values()]));
  }

  private merge(metric: string, rows: WindowRow[]): WindowChange | null {
    const held = this.windows.get(metric)!;
    const changed = rows.filter((r) => {
      const old = held.get(rowKey(r));
      if (old && same(old, r)) return false;
      held.set(rowKey(r), r);
      return true;
    });
    return changed.length ? { metric, replace: false, rows: changed.sort(byMinuteKey) } : null;
  }

  private replace(metric: string, rows: WindowRow[]): WindowChange | null {
    const held = this.windows.get(metric)!;
    const fresh = new Map(rows.map((r) => [rowKey(r), r]));
    const gone = [...held.keys()].some((k) => !fresh.has(k));
    if (gone) {
      this.windows.set(metric, fresh);
      return { metric, replace: true, rows: [...fresh.values()].sort(byMinuteKey) };
    }
    return this.merge(metric, rows);
  }

  private evict(start: number): void {
    const from = isoMs(start);
    for (const held of this.windows.values()) for (const [k, r] of held) if (r.minute < from) held.delete(k);
  }
}
