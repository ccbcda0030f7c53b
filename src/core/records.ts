/**
 * Raw records as the API accepts them (data contract §1). Unknown extra fields are kept
 * (passthrough) and ignored by cleaning. The dirty placeholders are valid input.
 */
import { z } from 'zod';
import { parseDateTime, plainDateTimeIso } from './time.js';

export const TOPICS = ['pin', 'geo', 'user'] as const;
export type RecordType = (typeof TOPICS)[number];
export const DEAD_LETTER_TOPIC = 'deadletter';

const text = z.string();
const dateTime = z.string().refine((s) => parseDateTime(s) !== null, {
  message: 'must be a date-time like "2020-08-28 03:52:47" or ISO 8601 (UTC)',
});
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const rawPinSchema = z.looseObject({
  index: z.int().min(0),
  unique_id: z.string().regex(UUID, 'must be a UUID string'),
  title: text,
  description: text,
  poster_name: text.optional(),
  follower_count: text,
  tag_list: text,
  is_image_or_video: text,
  image_src: text,
  downloaded: z.union([z.literal(0), z.literal(1)], { error: 'must be 0 or 1' }),
  save_location: text,
  category: text,
});

export const rawGeoSchema = z.looseObject({
  ind: z.int().min(0),
  timestamp: dateTime,
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  country: text,
});

export const rawUserSchema = z.looseObject({
  ind: z.int().min(0),
  first_name: text,
  last_name: text,
  age: z.int().min(0).max(130),
  date_joined: dateTime,
});

export type RawPin = z.infer<typeof rawPinSchema>;
export type RawGeo = z.infer<typeof rawGeoSchema>;
export type RawUser = z.infer<typeof rawUserSchema>;
export type RawRecord = RawPin | RawGeo | RawUser;

export const rawSchemas = { pin: rawPinSchema, geo: rawGeoSchema, user: rawUserSchema } as const;

// ---- fast path: the common valid shape without zod (hot in both layers' cleaning) ------------
const isIndex = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isIn = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && v >= min && v <= max;
const isDateTime = (v: unknown): boolean => typeof v === 'string' && (plainDateTimeIso(v) !== undefined || parseDateTime(v) !== null);

/** UUID.test(s), by hand (hex digits with dashes at 8, 13, 18, 23). */
function isUuid(s: string): boolean {
  if (s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/**
 * True only for a record that rawSchemas[type] accepts (every check here is one of the schema's,
 * for the shape of a valid record). False means "ask the schema", which names the problems.
 * Tested for equivalence with the schema in test/unit/records-fast.test.ts.
 */
export function passesRawSchemaFast(type: RecordType, r: Record<string, unknown>): boolean {
  if (type === 'pin') {
    return (
      isIndex(r.index) &&
      typeof r.unique_id === 'string' &&
      isUuid(r.unique_id) &&
      typeof r.title === 'string' &&
      typeof r.description === 'string' &&
      (r.poster_name === undefined || typeof r.poster_name === 'string') &&
      typeof r.follower_count === 'string' &&
      typeof r.tag_list === 'string' &&
      typeof r.is_image_or_video === 'string' &&
      typeof r.image_src === 'string' &&
      (r.downloaded === 0 || r.downloaded === 1) &&
      typeof r.save_location === 'string' &&
      typeof r.category === 'string'
    );
  }
  if (type === 'geo') {
    return isIndex(r.ind) && isDateTime(r.timestamp) && isIn(r.latitude, -90, 90) && isIn(r.longitude, -180, 180) && typeof r.country === 'string';
  }
  return (
    isIndex(r.ind) &&
    typeof r.first_name === 'string' &&
    typeof r.last_name === 'string' &&
    Number.isSafeInteger(r.age) &&
    isIn(r.age, 0, 130) &&
    isDateTime(r.date_joined)
  );
}

export interface FieldProblem {
  field: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Validate one raw record of a type; every offending field is named. */
export function validateRaw(type: RecordType, input: unknown): Validation<RawRecord> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ field: '(record)', message: 'must be a JSON object' }] };
  }
  const res = rawSchemas[type].safeParse(input);
  if (res.success) return { ok: true, value: res.data as RawRecord };
  return {
    ok: false,
    problems: res.error.issues.map((i) => ({
      field: i.path.length ? i.path.join('.') : '(record)',
      message: describeIssue(i, input as Record<string, unknown>),
    })),
  };
}

function describeIssue(i: z.core.$ZodIssue, input: Record<string, unknown>): string {
  if (i.code === 'invalid_type') {
    const key = i.path[0];
    if (i.path.length === 1 && input[key as string] === undefined) return `is required (${i.expected})`;
    return `must be ${i.expected === 'int' ? 'an integer' : `a ${i.expected}`}`;
  }
  if (i.code === 'too_small') return `must be >= ${String(i.minimum)}`;
  if (i.code === 'too_big') return `must be <= ${String(i.maximum)}`;
  return i.message;
}
