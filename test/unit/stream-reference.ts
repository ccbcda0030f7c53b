/**
 * For tests: R1–R5 computed the batch way (all records at once, written independently of the
 * stream processor) from design.md's rules, and a seeded generator of realistic logs.
 */
import { cleanRecord, type CleanGeo, type CleanPin, type CleanUser } from '../../src/core/clean.js';
import type { RecordType } from '../../src/core/records.js';
import { minuteOf } from '../../src/core/time.js';
import { geo, pin, rng, user, TestLog, type Rec } from './stream-harness.js';

type Stamped<T> = T & { t: number; partition: number; offset: number };

/** expected rows keyed `metric|minute|key` → values, for every minute of the input */
export function reference(log: TestLog, joinWindow: number): Map<string, Record<string, number | null>> {
  const byType: Record<RecordType, Map<string, Stamped<Record<string, unknown>>>> = { pin: new Map(), geo: new Map(), user: new Map() };
  for (const p of log.parts.values()) {
    p.values.forEach((value, offset) => {
      let raw: unknown;
      try {
        raw = JSON.parse(value);
      } catch {
        return;
      }
      const c = cleanRecord(p.topic as RecordType, raw);
      if (!c.ok) return;
      const r = { ...c.value, t: Date.parse(c.value.ingested_at), partition: p.partition, offset } as Stamped<Record<string, unknown>>;
      const m = byType[p.topic as RecordType];
      const prev = m.get(c.value.event_id);
      const before = !prev || r.t < prev.t || (r.t === prev.t && (r.partition < prev.partition || (r.partition === prev.partition && r.offset < prev.offset)));
      if (before) m.set(c.value.event_id, r);
    });
  }
  const pins = [...byType.pin.values()] as unknown as Stamped<CleanPin>[];
  const geos = [...byType.geo.values()] as unknown as Stamped<CleanGeo>[];
  const users = [...byType.user.values()] as unknown as Stamped<CleanUser>[];
  // the candidates of each ind (in their order), so that a pin looks at its own ind's only
  const byInd = <T extends { ind: number }>(list: T[]): Map<number, T[]> => {
    const m = new Map<number, T[]>();
    for (const c of list) {
      const same = m.get(c.ind);
      if (same) same.push(c);
      else m.set(c.ind, [c]);
    }
    return m;
  };
  const closest = <T extends { ind: number; t: number; event_id: string }>(p: Stamped<CleanPin>, cands: Map<number, T[]>): T | null => {
    let best: T | null = null;
    for (const c of cands.get(p.ind) ?? []) {
      if (Math.abs(c.t - p.t) > joinWindow) continue;
      const d = Math.abs(c.t - p.t),
        bd = best ? Math.abs(best.t - p.t) : Infinity;
      if (!best || d < bd || (d === bd && c.event_id < best.event_id)) best = c;
    }
    return best;
  };
  const geoByInd = byInd(geos);
  const userByInd = byInd(users);
  const out = new Map<string, Record<string, number | null>>();
  const count = (metric: string, minute: string, key: string) => {
    const k = `${metric}|${minute}|${key}`;
    out.set(k, { postings: ((out.get(k)?.postings as number) ?? 0) + 1 });
  };
  const r5 = new Map<string, { images: number; videos: number; stories: number; sum: number; n: number }>();
  for (const p of pins) {
    const minute = new Date(minuteOf(p.t)).toISOString();
    count('R1', minute, p.category ?? '');
    const g = closest(p, geoByInd);
    if (g) count('R2', minute, g.country ?? '');
    const u = closest(p, userByInd);
    if (u) count('R3', minute, u.age_group);
    const m = r5.get(minute) ?? { images: 0, videos: 0, stories: 0, sum: 0, n: 0 };
    if (p.media_type === 'image') m.images++;
    if (p.media_type === 'video') m.videos++;
    if (p.media_type === 'story') m.stories++;
    if (p.follower_count !== null) {
      m.sum += p.follower_count;
      m.n++;
    }
    r5.set(minute, m);
  }
  for (const [minute, m] of r5)
    out.set(`R5|${minute}|`, { images: m.images, videos: m.videos, stories: m.stories, mean_follower_count: m.n ? m.sum / m.n : null });
  const names = new Map<string, Set<string>>();
  for (const u of users) {
    const minute = new Date(minuteOf(u.t)).toISOString();
    const s = names.get(minute) ?? new Set<string>();
    if (u.user_name !== null) s.add(u.user_name);
    names.set(minute, s);
  }
  for (const [minute, s] of names) out.set(`R4|${minute}|`, { distinct_posters: s.size });
  return out;
}

export interface GenOptions {
  seed: number;
  postings: number;
  /** seconds the postings span */
  span: number;
  partitions: number;
  /** max disorder within a partition, seconds (keep below lateness for runs without late records) */
  disorder: number;
  /** ind range (small → the same ind posted twice within the join window) */
  inds?: number;
  /** only the records that land before this many seconds (the same run's prefix of each partition) */
  until?: number;
}

/** a log of postings with dirty values, near and far partners, missing partners, retries, garbage */
export function generate(o: GenOptions): TestLog {
  const r = rng(o.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const recs: { rec: Rec; t: number; part: number }[] = [];
  const push = (rec: Rec, t: number, part: number) => recs.push({ rec, t, part });
  for (let i = 0; i < o.postings; i++) {
    const t = r() * o.span;
    const ind = Math.floor(r() * (o.inds ?? 40));
    const part = ind % o.partitions;
    const id = `${o.seed}-${i}`;
    const fields = {
      category: pick(['art', 'travel', 'food', '  ']),
      media: pick(['image', 'video', 'multi-video(story page format)', 'other']),
      followers: pick(['100', '1k', 'User Info Error', '2.5k', '7']),
    };
    push(pin(ind, t, { id: `p${id}`, ...fields }), t, part);
    if (r() < 0.05) {
      const t2 = t + r() * 20; // a retry: same event_id, later ingested_at
      push(pin(ind, t2, { id: `p${id}`, ...fields }), t2, part);
    }
    const gx = r();
    const tg = gx < 0.85 ? t + (r() - 0.5) * 6 : t + 35;
    if (gx < 0.9) push(geo(ind, tg, { id: `g${id}`, country: gx < 0.85 ? pick(['Albania', 'France', 'Chad', ' ']) : 'Far' }), tg, part);
    const tu = t + (r() - 0.5) * 6;
    if (r() < 0.85) push(user(ind, tu, { id: `u${id}`, first: pick(['Ann', 'Bo', 'Cy', '']), last: pick(['Ali', 'Ng']), age: Math.floor(r() * 80) }), tu, part);
    if (r() < 0.02) push({ type: 'pin', value: '{not json' }, t, part);
  }
  // each partition in ingested_at order, up to `disorder` seconds shuffled
  const keyed = recs.map((x) => ({ ...x, k: x.t + r() * o.disorder }));
  keyed.sort((a, b) => a.k - b.k);
  const log = new TestLog(o.partitions);
  for (const x of keyed) if (o.until === undefined || x.k < o.until) log.append([x.rec], x.part);
  return log;
}
