/**
 * The cleaning transform of data contract §2: pure functions that the stream and the batch layer
 * both call, so that for the same input they agree exactly. None of them throws: a record that
 * cannot be cleaned yields `{ ok: false, reason }` and goes to the dead letters.
 */
import { plainDateTimeIso, toIsoInstant } from './time.js';
import { type RecordType, passesRawSchemaFast, rawSchemas } from './records.js';

export type MediaType = 'image' | 'video' | 'story';
export type AgeGroup = 'under-18' | '18-24' | '25-35' | '36-50' | '50+';

interface Stamps {
  event_id: string;
  ingested_at: string;
}

export interface CleanPin extends Stamps {
  ind: number;
  unique_id: string | null;
  title: string | null;
  description: string | null;
  poster_name: string | null;
  follower_count: number | null;
  tag_list: string[] | null;
  media_type: MediaType | null;
  image_src: string | null;
  downloaded: boolean;
  save_location: string | null;
  category: string | null;
}

export interface CleanGeo extends Stamps {
  ind: number;
  timestamp: string; // ISO 8601 UTC
  latitude: number;
  longitude: number;
  coordinates: [number, number];
  country: string | null;
}

export interface CleanUser extends Stamps {
  ind: number;
  user_name: string | null;
  age: number;
  age_group: AgeGroup;
  date_joined: string; // ISO 8601 UTC
}

export type CleanRecord = CleanPin | CleanGeo | CleanUser;

/** A value that became null because it matched no rule (not a known placeholder). */
export interface QualityIssue {
  field: string;
  value: string;
}

export type CleanResult<T> = { ok: true; value: T; issues: QualityIssue[] } | { ok: false; reason: string };

const PLACEHOLDERS = {
  title: ['No Title Data Available'],
  description: ['No description available Story format', 'No description available'],
  poster_name: ['User Info Error'],
  follower_count: ['User Info Error'],
  tag_list: ['N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e'],
  image_src: ['Image src error.'],
} as const;

const MEDIA: Record<string, MediaType> = { image: 'image', video: 'video', 'multi-video(story page format)': 'story' };
const FOLLOWERS = /^\d+(\.\d+)?[kKmMbB]?$/;
const MULTIPLIER: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9 };
const SAVE_PREFIX = 'Local save in ';

/** Trim; empty or whitespace-only (or not a string) → null. */
export function cleanText(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' ? null : t;
}

/** Known placeholder → null, else the trimmed text. */
export function dropPlaceholder(v: unknown, placeholders: readonly string[]): string | null {
  const t = cleanText(v);
  return t !== null && placeholders.includes(t) ? null : t;
}

/** `"940"` → 940, `"124k"` → 124000, `"6M"` → 6000000, `"1.5k"` → 1500; anything else → null. */
export function parseFollowerCount(v: unknown): number | null {
  const t = cleanText(v);
  if (t === null || !FOLLOWERS.test(t)) return null;
  const last = t[t.length - 1]!.toLowerCase();
  const mult = MULTIPLIER[last];
  const n = Number(mult ? t.slice(0, -1) : t);
  const r = Math.round(n * (mult ?? 1));
  return Number.isSafeInteger(r) ? r : null;
}

/** Split a tag list on commas, trim, drop empties; the "No Tags Available" placeholder → null. */
export function splitTags(v: unknown): string[] | null {
  const t = dropPlaceholder(v, PLACEHOLDERS.tag_list);
  if (t === null) return null;
  const tags: string[] = [];
  for (const part of t.split(',')) {
    const tag = hasPlainEnds(part) ? part : part.trim();
    if (tag !== '') tags.push(tag);
  }
  return tags.length ? tags : null;
}

/** Non-empty and both ends printable ASCII other than space: trim() would leave it as it is. */
function hasPlainEnds(s: string): boolean {
  if (s.length === 0) return false;
  const a = s.charCodeAt(0);
  const z = s.charCodeAt(s.length - 1);
  return a > 32 && a < 127 && z > 32 && z < 127;
}

export function toMediaType(v: unknown): MediaType | null {
  const t = cleanText(v);
  return t === null ? null : (MEDIA[t] ?? null);
}

export function stripSaveLocation(v: unknown): string | null {
  const t = cleanText(v);
  if (t === null) return null;
  // the prefix and the spaces after it: trimming the rest removes those spaces too
  if (t.startsWith(SAVE_PREFIX)) return cleanText(t.slice(SAVE_PREFIX.length));
  return cleanText(t.replace(/^Local save in(\s+|$)/, ''));
}

export function toAgeGroup(age: number): AgeGroup {
  if (age < 18) return 'under-18';
  if (age <= 24) return '18-24';
  if (age <= 35) return '25-35';
  if (age <= 50) return '36-50';
  return '50+';
}

export function joinUserName(first: unknown, last: unknown): string | null {
  return cleanText([cleanText(first) ?? '', cleanText(last) ?? ''].join(' '));
}

function toIso(v: unknown): string | null {
  return typeof v === 'string' ? (plainDateTimeIso(v) ?? toIsoInstant(v)) : null;
}

function stamps(raw: Record<string, unknown>): Stamps | null {
  const event_id = typeof raw.event_id === 'string' ? raw.event_id : null;
  const ingested_at = toIso(raw.ingested_at);
  return event_id && ingested_at ? { event_id, ingested_at } : null;
}

export function cleanPin(raw: Record<string, unknown>): CleanResult<CleanPin> {
  const issues: QualityIssue[] = [];
  const follower_count = parseFollowerCount(raw.follower_count);
  const fc = dropPlaceholder(raw.follower_count, PLACEHOLDERS.follower_count);
  if (follower_count === null && fc !== null) issues.push({ field: 'follower_count', value: fc });
  const media_type = toMediaType(raw.is_image_or_video);
  const media = cleanText(raw.is_image_or_video);
  if (media_type === null && media !== null) issues.push({ field: 'is_image_or_video', value: media });
  const s = stamps(raw);
  if (!s) return { ok: false, reason: 'missing event_id or ingested_at stamp' };
  return {
    ok: true,
    issues,
    value: {
      ind: raw.index as number,
      unique_id: cleanText(raw.unique_id),
      title: dropPlaceholder(raw.title, PLACEHOLDERS.title),
      description: dropPlaceholder(raw.description, PLACEHOLDERS.description),
      poster_name: dropPlaceholder(raw.poster_name, PLACEHOLDERS.poster_name),
      follower_count,
      tag_list: splitTags(raw.tag_list),
      media_type,
      image_src: dropPlaceholder(raw.image_src, PLACEHOLDERS.image_src),
      downloaded: raw.downloaded === 1,
      save_location: stripSaveLocation(raw.save_location),
      category: cleanText(raw.category),
      ...s,
    },
  };
}

export function cleanGeo(raw: Record<string, unknown>): CleanResult<CleanGeo> {
  const timestamp = toIso(raw.timestamp);
  if (timestamp === null) return { ok: false, reason: 'timestamp is not a date-time' };
  const s = stamps(raw);
  if (!s) return { ok: false, reason: 'missing event_id or ingested_at stamp' };
  const latitude = raw.latitude as number;
  const longitude = raw.longitude as number;
  return {
    ok: true,
    issues: [],
    value: { ind: raw.ind as number, timestamp, latitude, longitude, coordinates: [latitude, longitude], country: cleanText(raw.country), ...s },
  };
}

export function cleanUser(raw: Record<string, unknown>): CleanResult<CleanUser> {
  const date_joined = toIso(raw.date_joined);
  if (date_joined === null) return { ok: false, reason: 'date_joined is not a date-time' };
  const s = stamps(raw);
  if (!s) return { ok: false, reason: 'missing event_id or ingested_at stamp' };
  const age = raw.age as number;
  return {
    ok: true,
    issues: [],
    value: { ind: raw.ind as number, user_name: joinUserName(raw.first_name, raw.last_name), age, age_group: toAgeGroup(age), date_joined, ...s },
  };
}

const CLEANERS = { pin: cleanPin, geo: cleanGeo, user: cleanUser } as const;

/**
 * Clean one stamped raw record of a type. Validates against the raw schema first, so a record
 * that somehow bypassed the API's validation becomes a dead letter with a reason, never a throw.
 */
export function cleanRecord(type: RecordType, raw: unknown): CleanResult<CleanRecord> {
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'record is not a JSON object' };
    // the schema is asked only when the fast check cannot vouch for the record (same verdicts)
    if (!passesRawSchemaFast(type, raw as Record<string, unknown>)) {
      const parsed = rawSchemas[type].safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        return { ok: false, reason: `invalid ${type} record: ${i.path.join('.') || '(record)'} ${i.message}` };
      }
    }
    return CLEANERS[type](raw as Record<string, unknown>);
  } catch (e) {
    return { ok: false, reason: `cleaning failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
