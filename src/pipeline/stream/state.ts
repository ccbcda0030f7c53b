/**
 * The open state of the stream processor: minute windows, join indexes by ind, the event_id
 * de-duplication horizon, pending join decisions and the prune schedule. Every record leaves
 * state at `pruneAt(t)` = end of the minute of (t + joinWindow) + joinWindow, a pure function of
 * its ingested_at: by then every window it can count in (its own, or a partner pin's) is final.
 */
import type { WindowRow } from '../../connectors/realtime/types.js';
import type { RecordType } from '../../core/records.js';
import { minuteOf } from '../../core/time.js';
import type { Row } from '../../metrics/realtime/evaluate.js';
import { triggersOf, type MetricRuntime, type Triggers } from '../../metrics/realtime/groups.js';
import type { Trigger, Value } from '../../metrics/realtime/ir.js';
import { MinHeap } from './heap.js';
import { IndIndex, decideAt, offerGeo, offerUser } from './joins.js';
import type { PartitionState } from './partitions.js';
import type { Counters, GeoState, Held, PinState, StreamOptions, UserState } from './types.js';
import { WindowAgg } from './window.js';

const MINUTE = 60_000;

/** does a copy at (t, partition, offset) count before the held copy `h`, of partition `hp` (design.md de-dup rule)? */
const precedes = (t: number, partition: number, offset: number, h: Held, hp: number): boolean =>
  t < h.t || (t === h.t && (partition < hp || (partition === hp && offset < h.offset)));

export class State {
  private readonly windows = new Map<number, WindowAgg>();
  private readonly dirty = new Set<WindowAgg>();
  private finalRows: WindowRow[] = [];
  private readonly pins = new IndIndex<PinState>();
  private readonly geos = new IndIndex<GeoState>();
  private readonly users = new IndIndex<UserState>();
  private readonly seen = { pin: new Map<string, Held>(), geo: new Map<string, Held>(), user: new Map<string, Held>() };
  private readonly geoHeap = new MinHeap<PinState>();
  private readonly userHeap = new MinHeap<PinState>();
  private readonly buckets = new Map<number, Held[]>();
  private readonly bucketKeys: number[] = [];
  private readonly jw: number;
  private readonly metrics: readonly MetricRuntime[];
  private readonly triggers: Triggers;
  private finalNonEmpty: WindowRow[] = [];

  constructor(
    opts: StreamOptions,
    private readonly counters: Counters,
    public watermark: number,
    private readonly partOf: (index: number) => PartitionState,
  ) {
    this.jw = opts.joinWindow;
    this.metrics = opts.metrics.runtimes;
    this.triggers = triggersOf(this.metrics);
  }

  pruneAt(t: number): number {
    return minuteOf(t + this.jw) + MINUTE + this.jw;
  }

  private isFinal(start: number): boolean {
    return start + MINUTE + this.jw <= this.watermark;
  }

  /** the window last returned by window() while it is in `dirty` (most records hit the same minute) */
  private lastWin: WindowAgg | null = null;
  /** the prune bucket last used (pruneAt changes once a minute of ingested_at) */
  private lastBucketAt = Number.NaN;
  private lastBucket: Held[] | null = null;

  private window(start: number): WindowAgg {
    const last = this.lastWin;
    if (last !== null && last.start === start) return last;
    let w = this.windows.get(start);
    if (!w) this.windows.set(start, (w = new WindowAgg(start, this.metrics)));
    this.dirty.add(w);
    this.lastWin = w;
    return w;
  }

  /** an open row already in the store: make sure the window's final rows include its key */
  seedRow(row: WindowRow): void {
    const start = Date.parse(row.minute);
    if (row.final || !Number.isFinite(start) || this.isFinal(start)) return;
    let w = this.windows.get(start);
    if (!w) this.windows.set(start, (w = new WindowAgg(start, this.metrics)));
    w.touch(row.metric, row.key);
  }

  /**
   * apply a clean, non-late record (replay: rebuilding state after a restart, counts nothing):
   * its ind, event_id and the values of the layout's columns (the processor's projected cleaner)
   */
  apply(p: PartitionState, offset: number, v: { ind: number; event_id: string; vals: unknown[] }, t: number, replay: boolean): void {
    const type = p.type;
    const seen = this.seen[type];
    const pruneAt = this.pruneAt(t);
    const prev = seen.get(v.event_id);
    if (prev !== undefined) {
      if (!replay) this.counters.duplicates++;
      if (!precedes(t, p.partition, offset, prev, this.partOf(prev.part).partition)) {
        p.skip(offset, pruneAt, this.watermark);
        return;
      }
      this.retract(prev);
      this.partOf(prev.part).skip(prev.offset, this.pruneAt(prev.t), this.watermark);
    } else if (!replay) this.counters.accepted++;

    const start = minuteOf(t);
    const open = !this.isFinal(start);
    const vals = v.vals as Value[];
    // (object literals, not spreads: one hidden class per record type, the hot path of the stream)
    let s: Held;
    if (type === 'pin') {
      // prettier-ignore
      const pin: PinState = {
        ind: v.ind, t, eventId: v.event_id, part: p.index, offset, dead: false, vals,
        geo: null, geoDist: 0, geoDecided: false, user: null, userDist: 0, userDecided: false,
      };
      if (open) this.addPin(pin);
      s = pin;
    } else if (type === 'geo') {
      const geo: GeoState = { ind: v.ind, t, eventId: v.event_id, part: p.index, offset, dead: false, vals };
      this.addGeo(geo, open);
      s = geo;
    } else {
      const user: UserState = { ind: v.ind, t, eventId: v.event_id, part: p.index, offset, dead: false, vals };
      this.addUser(user, open);
      s = user;
    }
    seen.set(v.event_id, s);
    p.hold(s);
    let bucket = pruneAt === this.lastBucketAt ? this.lastBucket : this.buckets.get(pruneAt);
    if (!bucket) {
      this.buckets.set(pruneAt, (bucket = []));
      insertSorted(this.bucketKeys, pruneAt);
    }
    this.lastBucketAt = pruneAt;
    this.lastBucket = bucket;
    bucket.push(s);
  }

  /** the row the metrics read: one object reused (they read it synchronously and keep none of it) */
  private readonly scratch: Row = { pin: null, geo: null, user: null };
  private rowOf(pin: Value[] | null, geo: Value[] | null, user: Value[] | null): Row {
    const r = this.scratch;
    r.pin = pin;
    r.geo = geo;
    r.user = user;
    return r;
  }

  /** count a record's row into the metrics of a trigger in window w (sign 1) or take it back (−1) */
  private countAll(w: WindowAgg, trigger: Trigger, row: Row, sign: 1 | -1): void {
    for (const mi of this.triggers.byTrigger[trigger]) w.count(mi, row, sign);
  }

  /** the joined metrics of a decided pin: each counts when its inner joins have their partners */
  private countJoined(w: WindowAgg, trigger: Trigger, pin: PinState, sign: 1 | -1): void {
    const list = this.triggers.byTrigger[trigger];
    if (list.length === 0) return;
    const row = this.rowOf(pin.vals, pin.geo?.vals ?? null, pin.user?.vals ?? null);
    for (const mi of list) {
      if ((this.triggers.needsGeo[mi] && !pin.geo) || (this.triggers.needsUser[mi] && !pin.user)) continue;
      w.count(mi, row, sign);
    }
  }

  private addPin(pin: PinState): void {
    const w = this.window(minuteOf(pin.t));
    w.pins++;
    this.countAll(w, 'pin', this.rowOf(pin.vals, null, null), 1);
    this.pins.add(pin);
    for (const g of this.geos.get(pin.ind) ?? []) offerGeo(pin, g, this.jw);
    for (const u of this.users.get(pin.ind) ?? []) offerUser(pin, u, this.jw);
    this.scheduleGeo(pin);
    this.scheduleUser(pin);
  }

  private addGeo(geo: GeoState, open: boolean): void {
    if (open && this.triggers.byTrigger.geo.length) this.countAll(this.window(minuteOf(geo.t)), 'geo', this.rowOf(null, geo.vals, null), 1);
    this.geos.add(geo);
    for (const pin of this.pins.get(geo.ind) ?? []) if (!pin.geoDecided && offerGeo(pin, geo, this.jw)) this.scheduleGeo(pin);
  }

  private addUser(user: UserState, open: boolean): void {
    if (open && this.triggers.byTrigger.user.length) this.countAll(this.window(minuteOf(user.t)), 'user', this.rowOf(null, null, user.vals), 1);
    this.users.add(user);
    for (const pin of this.pins.get(user.ind) ?? []) if (!pin.userDecided && offerUser(pin, user, this.jw)) this.scheduleUser(pin);
  }

  private scheduleGeo(pin: PinState): void {
    this.geoHeap.push(decideAt(pin, pin.geo, pin.geoDist, this.jw), pin);
  }

  private scheduleUser(pin: PinState): void {
    this.userHeap.push(decideAt(pin, pin.user, pin.userDist, this.jw), pin);
  }

  /** a held record's type: its partition's (not a field: one slot less per held record) */
  private typeOf(h: Held): RecordType {
    return this.partOf(h.part).type;
  }

  /** take back a held record displaced by an earlier copy of the same event_id */
  private retract(h: Held): void {
    h.dead = true;
    const type = this.typeOf(h);
    if (type === 'pin') {
      const pin = h as PinState;
      this.pins.remove(pin);
      const w = this.windows.get(minuteOf(pin.t)); // none when its minute was final on arrival: it counted nowhere
      if (!w) return;
      w.pins--;
      this.countAll(w, 'pin', this.rowOf(pin.vals, null, null), -1);
      if (pin.geoDecided) {
        if (pin.geo) w.geoMatched--;
        this.countJoined(w, 'pin+geo', pin, -1);
      }
      if (pin.userDecided) {
        if (pin.user) w.userMatched--;
        this.countJoined(w, 'pin+user', pin, -1);
      }
      if (pin.geoDecided && pin.userDecided) this.countJoined(w, 'pin+geo+user', pin, -1);
      this.dirty.add(w);
    } else if (type === 'geo') {
      const geo = h as GeoState;
      this.geos.remove(geo);
      const w = this.windows.get(minuteOf(geo.t)); // none when its minute was final on arrival: it counted nowhere
      if (w && this.triggers.byTrigger.geo.length) {
        this.countAll(w, 'geo', this.rowOf(null, geo.vals, null), -1);
        this.dirty.add(w);
      }
      for (const pin of this.pins.get(h.ind) ?? []) {
        if (pin.geoDecided || pin.geo !== h) continue;
        pin.geo = null;
        for (const g of this.geos.get(pin.ind) ?? []) offerGeo(pin, g, this.jw);
        this.scheduleGeo(pin);
      }
    } else {
      const user = h as UserState;
      this.users.remove(user);
      const w = this.windows.get(minuteOf(user.t)); // none when its minute was final on arrival: it counted nowhere
      if (w && this.triggers.byTrigger.user.length) {
        this.countAll(w, 'user', this.rowOf(null, null, user.vals), -1);
        this.dirty.add(w);
      }
      for (const pin of this.pins.get(h.ind) ?? []) {
        if (pin.userDecided || pin.user !== h) continue;
        pin.user = null;
        for (const u of this.users.get(pin.ind) ?? []) offerUser(pin, u, this.jw);
        this.scheduleUser(pin);
      }
    }
  }

  /** move the watermark (never back), then decide joins, finalize windows and prune, in that order */
  advance(w: number): void {
    if (w > this.watermark) this.watermark = w;
    const W = this.watermark;
    while (this.geoHeap.peekKey() < W) {
      const pin = this.geoHeap.pop()!;
      // a stale entry: its pin decided, displaced, or rescheduled since (the due time is a function of the current choice)
      if (pin.dead || pin.geoDecided || !(decideAt(pin, pin.geo, pin.geoDist, this.jw) < W)) continue;
      pin.geoDecided = true;
      const w = this.window(minuteOf(pin.t));
      if (pin.geo) w.geoMatched++;
      this.countJoined(w, 'pin+geo', pin, 1);
      if (pin.userDecided) this.countJoined(w, 'pin+geo+user', pin, 1);
    }
    while (this.userHeap.peekKey() < W) {
      const pin = this.userHeap.pop()!;
      if (pin.dead || pin.userDecided || !(decideAt(pin, pin.user, pin.userDist, this.jw) < W)) continue;
      pin.userDecided = true;
      const w = this.window(minuteOf(pin.t));
      if (pin.user) w.userMatched++;
      this.countJoined(w, 'pin+user', pin, 1);
      if (pin.geoDecided) this.countJoined(w, 'pin+geo+user', pin, 1);
    }
    let due: WindowAgg[] | null = null;
    for (const win of this.windows.values()) if (this.isFinal(win.start)) (due ??= []).push(win);
    if (due) {
      due.sort((a, b) => a.start - b.start);
      for (const win of due) {
        win.rows(true, this.finalRows, this.finalNonEmpty);
        this.counters.unmatchedGeo += win.pins - win.geoMatched;
        this.counters.unmatchedUser += win.pins - win.userMatched;
        this.windows.delete(win.start);
        this.dirty.delete(win);
        if (this.lastWin === win) this.lastWin = null;
      }
    }
    while (this.bucketKeys.length && this.bucketKeys[0]! <= W) {
      const key = this.bucketKeys.shift()!;
      if (key === this.lastBucketAt) this.lastBucket = null;
      for (const h of this.buckets.get(key)!) if (!h.dead) this.forget(h);
      this.buckets.delete(key);
    }
  }

  private forget(h: Held): void {
    const type = this.typeOf(h);
    if (type === 'pin') this.pins.remove(h as PinState);
    else if (type === 'geo') this.geos.remove(h as GeoState);
    else this.users.remove(h as UserState);
    const seen = this.seen[type];
    if (seen.get(h.eventId) === h) seen.delete(h.eventId);
  }

  /**
   * changed open rows plus newly final rows since the last call; `finalRows`: the newly final rows
   * of groups that hold rows (a group emptied by a displaced duplicate is only overwritten in the
   * realtime store, never written to the serving store)
   */
  takeRows(): { rows: WindowRow[]; finalRows: WindowRow[] } {
    const rows: WindowRow[] = [];
    for (const win of this.dirty) win.rows(false, rows);
    this.dirty.clear();
    this.lastWin = null;
    for (const r of this.finalRows) rows.push(r);
    const finalRows = this.finalNonEmpty;
    this.finalRows = [];
    this.finalNonEmpty = [];
    return { rows, finalRows };
  }

  latestWindow(): WindowAgg | null {
    let latest: WindowAgg | null = null;
    for (const w of this.windows.values()) if (!latest || w.start > latest.start) latest = w;
    return latest;
  }

  get windowCount(): number {
    return this.windows.size;
  }
}

function insertSorted(keys: number[], key: number): void {
  let lo = 0,
    hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  keys.splice(lo, 0, key);
}
