/**
 * Join indexes by ind and the closest-partner rule of design.md: for a pin, the geo (or user)
 * record with the same ind whose ingested_at is closest to the pin's and within the join window
 * (|Δ| ≤ joinWindow), ties by the smaller event_id. A pin's choice is decided once the
 * watermark has passed pin.t + |Δ| (no closer partner can arrive any more without being late),
 * or pin.t + joinWindow when it has none.
 */
import type { GeoState, Held, PinState, UserState } from './types.js';

/**
 * Held records by ind. Most inds have one record per type in state, so a lone record is stored
 * as itself and only a second one makes an array (saves an array per record of state).
 */
export class IndIndex<T extends Held> {
  private readonly map = new Map<number, T | T[]>();

  get(ind: number): readonly T[] | undefined {
    const v = this.map.get(ind);
    return v === undefined || Array.isArray(v) ? v : [v];
  }

  add(item: T): void {
    const v = this.map.get(item.ind);
    if (v === undefined) this.map.set(item.ind, item);
    else if (Array.isArray(v)) v.push(item);
    else this.map.set(item.ind, [v, item]);
  }

  remove(item: T): void {
    const v = this.map.get(item.ind);
    if (v === undefined) return;
    if (!Array.isArray(v)) {
      if (v === item) this.map.delete(item.ind);
      return;
    }
    const i = v.indexOf(item);
    if (i < 0) return;
    v.splice(i, 1);
    if (v.length === 1) this.map.set(item.ind, v[0]!);
  }

  get size(): number {
    return this.map.size;
  }
}

/** is `cand` (at distance d) a better partner than the current one (at distance curDist)? */
export function better(cand: Held, d: number, cur: Held | null, curDist: number, joinWindow: number): boolean {
  if (d > joinWindow) return false;
  if (cur === null) return true;
  return d < curDist || (d === curDist && cand.eventId < cur.eventId);
}

/** offer a geo record to an undecided pin; true when it became the pin's partner */
export function offerGeo(pin: PinState, g: GeoState, joinWindow: number): boolean {
  const d = Math.abs(g.t - pin.t);
  if (!better(g, d, pin.geo, pin.geoDist, joinWindow)) return false;
  pin.geo = g;
  pin.geoDist = d;
  return true;
}

export function offerUser(pin: PinState, u: UserState, joinWindow: number): boolean {
  const d = Math.abs(u.t - pin.t);
  if (!better(u, d, pin.user, pin.userDist, joinWindow)) return false;
  pin.user = u;
  pin.userDist = d;
  return true;
}

/** the watermark a pin's geo (or user) choice waits for: decided once watermark > this */
export const decideAt = (pin: PinState, partner: Held | null, dist: number, joinWindow: number): number => pin.t + (partner ? dist : joinWindow);
