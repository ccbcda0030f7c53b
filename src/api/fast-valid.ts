/**
 * A fast yes for the common case of request validation: true only when the record certainly
 * passes the raw schemas of src/core/records.ts (validateRaw). Anything else (false) goes through
 * validateRaw itself, which names every problem. Never more permissive than the zod schemas
 * (test/unit/api-fast-valid.test.ts compares the two).
 */
import { parseDateTime } from '../core/time.js';
import type { RecordType } from '../core/records.js';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const nonNegInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const str = (v: unknown): boolean => typeof v === 'string';
const between = (v: unknown, lo: number, hi: number): boolean => typeof v === 'number' && v >= lo && v <= hi;
const dateTime = (v: unknown): boolean => typeof v === 'string' && parseDateTime(v) !== null;

function pin(r: Record<string, unknown>): boolean {
  return (
    nonNegInt(r.index) &&
    typeof r.unique_id === 'string' &&
    UUID.test(r.unique_id) &&
    str(r.title) &&
    str(r.description) &&
    (r.poster_name === undefined || str(r.poster_name)) &&
    str(r.follower_count) &&
    str(r.tag_list) &&
    str(r.is_image_or_video) &&
    str(r.image_src) &&
    (r.downloaded === 0 || r.downloaded === 1) &&
    str(r.save_location) &&
    str(r.category)
  );
}

function geo(r: Record<string, unknown>): boolean {
  return nonNegInt(r.ind) && dateTime(r.timestamp) && between(r.latitude, -90, 90) && between(r.longitude, -180, 180) && str(r.country);
}

function user(r: Record<string, unknown>): boolean {
  return nonNegInt(r.ind) && str(r.first_name) && str(r.last_name) && nonNegInt(r.age) && (r.age as number) <= 130 && dateTime(r.date_joined);
}

const CHECKS = { pin, geo, user } as const;

/** True only if validateRaw(type, input) certainly accepts input (a plain JSON object). */
export function surelyValid(type: RecordType, input: unknown): boolean {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  return CHECKS[type](input as Record<string, unknown>);
}
