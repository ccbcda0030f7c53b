/**
 * Raw records as the API accepts them (data contract §1). Unknown extra fields are kept
 * (passthrough) and ignored by cleaning. The dirty placeholders are valid input.
 */
import { z } from 'zod';
import { parseDateTime } from './time.js';

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

/** What travels in the log and lands in the raw zone: the record plus its stamps. */
export type Envelope<R = Record<string, unknown>> = R & {
  event_id: string;
  ingested_at: string; // ISO 8601 UTC, set by the API
};

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
    problems: res.error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : '(record)', message: describeIssue(i, input as Record<string, unknown>) })),
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

/** The join key of any raw record: pin `index`, geo and user `ind`. */
export function indOf(type: RecordType, rec: Record<string, unknown>): number {
  return (type === 'pin' ? rec.index : rec.ind) as number;
}
