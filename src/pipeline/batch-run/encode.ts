/**
 * A cleaned record (src/core/clean.ts output) as one CSV line in the order of STAGE_COLUMNS
 * (src/engine/schema.ts), for DuckDB to load. RFC 4180 quoting: a field with '"', ',', CR or LF
 * is quoted with '"' doubled; null is an empty unquoted field and '' a quoted empty one (read
 * with allow_quoted_nulls = false), so every string round-trips exactly.
 */
import type { CleanGeo, CleanPin, CleanRecord, CleanUser } from '../../core/clean.js';
import type { RecordType } from '../../core/records.js';
import { STAGE_COLUMNS } from '../../engine/schema.js';

const NEEDS_QUOTES = /[",\r\n]/;

export function csvText(s: string | null): string {
  if (s === null) return '';
  if (s === '') return '""';
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const num = (n: number | null): string => (n === null ? '' : String(n));

export interface LogPosition {
  _partition: number | null;
  _offset: number | null;
}

// Lines are built with join (a flat string: cheaper to copy into the write buffer than a
// concatenation's rope).
/** Cleaned tags joined with ',' (a cleaned tag holds none): two or more always need quotes. */
function tagsText(tags: string[] | null): string {
  if (tags === null) return '';
  if (tags.length === 1) return csvText(tags[0]!);
  return `"${tags.join(',').replaceAll('"', '""')}"`;
}

// unique_id (a UUID), media_type (image, video, story) and ingested_at (ISO) never need quotes
function pinLine(v: CleanPin, p: LogPosition): string {
  return [
    v.ind,
    v.unique_id ?? '',
    csvText(v.title),
    csvText(v.description),
    csvText(v.poster_name),
    num(v.follower_count),
    tagsText(v.tag_list),
    v.media_type ?? '',
    csvText(v.image_src),
    v.downloaded,
    csvText(v.save_location),
    csvText(v.category),
    csvText(v.event_id),
    v.ingested_at,
    num(p._partition),
    num(p._offset),
  ].join(',');
}

function geoLine(v: CleanGeo, p: LogPosition): string {
  return [v.ind, v.timestamp, v.latitude, v.longitude, csvText(v.country), csvText(v.event_id), v.ingested_at, num(p._partition), num(p._offset)].join(',');
}

function userLine(v: CleanUser, p: LogPosition): string {
  return [v.ind, csvText(v.user_name), v.age, v.age_group, v.date_joined, csvText(v.event_id), v.ingested_at, num(p._partition), num(p._offset)].join(',');
}

export function encodeStaged(topic: RecordType, v: CleanRecord, p: LogPosition): string {
  if (topic === 'pin') return pinLine(v as CleanPin, p);
  if (topic === 'geo') return geoLine(v as CleanGeo, p);
  return userLine(v as CleanUser, p);
}

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** a lone surrogate as U+FFFD, as the UTF-8 of the CSV staging writes it (Spark's JVM would write '?') */
const wellFormed = (v: unknown): unknown => (typeof v === 'string' && SURROGATE.test(v) ? v.replace(LONE_SURROGATE, '\uFFFD') : v);

/**
 * A cleaned record as one NDJSON line for the Spark job (spark/pinpipe_batch.py): the staged
 * columns (STAGE_COLUMNS) with their values as the CSV line holds them (tag_list joined with ',').
 */
export function encodeStagedJson(topic: RecordType, v: CleanRecord, p: LogPosition): string {
  const value = v as unknown as Record<string, unknown>;
  const o: Record<string, unknown> = {};
  for (const [n] of STAGE_COLUMNS[topic]) o[n] = wellFormed(value[n] ?? null);
  if (topic === 'pin') o.tag_list = Array.isArray(value.tag_list) ? wellFormed((value.tag_list as string[]).join(',')) : null;
  o._partition = p._partition;
  o._offset = p._offset;
  return JSON.stringify(o);
}
