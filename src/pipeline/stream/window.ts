/**
 * One tumbling minute of R1–R5 aggregates, updated incrementally (no scans per record), with the
 * keys changed since the last flush so that only changed rows are written. Values are absolute,
 * so writing a row again is idempotent.
 */
import type { WindowRow } from '../../connectors/realtime/types.js';
import { isoMs } from '../../core/time.js';

export class WindowAgg {
  readonly iso: string;
  pins = 0;
  users = 0;
  geoMatched = 0;
  userMatched = 0;
  readonly r1 = new Map<string, number>();
  readonly r2 = new Map<string, number>();
  readonly r3 = new Map<string, number>();
  /** user_name → records of it in the minute (a count, so that a displaced copy can be taken back) */
  readonly names = new Map<string, number>();
  images = 0;
  videos = 0;
  stories = 0;
  followerSum = 0;
  followerN = 0;
  readonly dirty1 = new Set<string>();
  readonly dirty2 = new Set<string>();
  readonly dirty3 = new Set<string>();
  dirty4 = false;
  dirty5 = false;
  private seen4 = false;
  private seen5 = false;

  constructor(readonly start: number) {
    this.iso = isoMs(start);
  }

  pin(sign: 1 | -1, category: string, media: string | null, follower: number | null): void {
    this.pins += sign;
    bump(this.r1, this.dirty1, category, sign);
    if (media === 'image') this.images += sign;
    else if (media === 'video') this.videos += sign;
    else if (media === 'story') this.stories += sign;
    if (follower !== null) {
      this.followerSum += sign * follower;
      this.followerN += sign;
    }
    this.dirty5 = true;
  }

  user(sign: 1 | -1, userName: string | null): void {
    this.users += sign;
    if (userName !== null) {
      const n = (this.names.get(userName) ?? 0) + sign;
      if (n > 0) this.names.set(userName, n);
      else this.names.delete(userName);
    }
    this.dirty4 = true;
  }

  /** a pin's geo partner was decided (sign 1) or taken back because the pin was displaced (-1) */
  country(sign: 1 | -1, country: string): void {
    this.geoMatched += sign;
    bump(this.r2, this.dirty2, country, sign);
  }

  ageGroup(sign: 1 | -1, ageGroup: string): void {
    this.userMatched += sign;
    bump(this.r3, this.dirty3, ageGroup, sign);
  }

  /** a row of this window already in the store (after a restart): its final row must be written too */
  touch(metric: string, key: string): void {
    if (metric === 'R1' && !this.r1.has(key)) this.r1.set(key, 0);
    else if (metric === 'R2' && !this.r2.has(key)) this.r2.set(key, 0);
    else if (metric === 'R3' && !this.r3.has(key)) this.r3.set(key, 0);
    else if (metric === 'R4') this.seen4 = true;
    else if (metric === 'R5') this.seen5 = true;
  }

  get isDirty(): boolean {
    return this.dirty1.size > 0 || this.dirty2.size > 0 || this.dirty3.size > 0 || this.dirty4 || this.dirty5;
  }

  /** rows of the changed keys (all keys when final), then clears the change marks */
  rows(final: boolean, out: WindowRow[]): void {
    const minute = this.iso;
    const keyed = (metric: 'R1' | 'R2' | 'R3', m: Map<string, number>, dirty: Set<string>) => {
      for (const key of final ? m.keys() : dirty) out.push({ metric, minute, key, values: { postings: m.get(key)! }, final });
      dirty.clear();
    };
    keyed('R1', this.r1, this.dirty1);
    keyed('R2', this.r2, this.dirty2);
    keyed('R3', this.r3, this.dirty3);
    if ((final && (this.users > 0 || this.seen4)) || this.dirty4) out.push({ metric: 'R4', minute, key: '', values: { distinct_posters: this.names.size }, final });
    if ((final && (this.pins > 0 || this.seen5)) || this.dirty5) {
      const mean = this.followerN > 0 ? this.followerSum / this.followerN : null;
      out.push({ metric: 'R5', minute, key: '', values: { images: this.images, videos: this.videos, stories: this.stories, mean_follower_count: mean }, final });
    }
    this.dirty4 = false;
    this.dirty5 = false;
  }

  /** R1 totals of the window, largest first (for the live line) */
  topCategories(n: number): [string, number][] {
    return [...this.r1.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
  }
}

/** a key that drops to 0 (a displaced duplicate) stays, so that its final row overwrites the open one */
function bump(m: Map<string, number>, dirty: Set<string>, key: string, sign: 1 | -1): void {
  m.set(key, (m.get(key) ?? 0) + sign);
  dirty.add(key);
}
