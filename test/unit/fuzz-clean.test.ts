/**
 * Property-based tests (fast-check) of the cleaning transform, src/core/clean.ts cleanRecord:
 * for arbitrary JSON-ish input, and for arbitrary variations of valid stamped records, it never
 * throws and yields either `ok` with a record of the clean shape (checked against zod schemas of
 * the clean shapes written here from data contract §2) or a dead letter with a non-empty reason.
 * A record that passes the raw schema and carries valid stamps must clean `ok`.
 * Bounded: a fixed number of runs per property and a fixed seed per run of the suite (printed
 * on failure by fast-check, so a failure can be replayed).
 */
import { CONTRACT_PLACEHOLDERS } from '../fixtures/contract-examples.js';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { z } from 'zod';
import { cleanRecord, projectCleaner, toAgeGroup } from '../../src/core/clean.js';
import { rawSchemas, TOPICS, type RecordType } from '../../src/core/records.js';
import { RULES } from '../../src/core/rules.js';
import { parseDateTime } from '../../src/core/time.js';
import { anyType, validStamped } from './clean-arbitraries.js';

const RUNS = 1500;
// ISO 8601 UTC with milliseconds as toISOString writes it (an offset can carry 9999-12-31 past
// year 9999: toISOString then writes an expanded year, "+010000-01-01T...", still one instant)
const ISO = /^(\d{4}|[+-]\d{6})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// ---- the clean shapes (data contract §2), independent of src/core/clean.ts's types ------------
const cleanText = z
  .string()
  .min(1)
  .refine((s) => s === s.trim(), 'must be trimmed')
  .nullable();
const instant = z
  .string()
  .regex(ISO)
  .refine((s) => new Date(s).toISOString() === s, 'must be a real instant');
const stamps = { event_id: z.string().min(1), ingested_at: instant };

const cleanPinSchema = z.strictObject({
  ind: z.int().min(0),
  unique_id: cleanText,
  title: cleanText.refine((v) => v !== 'No Title Data Available', 'placeholder kept'),
  description: cleanText.refine((v) => v !== 'No description available' && v !== 'No description available Story format', 'placeholder kept'),
  poster_name: cleanText.refine((v) => v !== 'User Info Error', 'placeholder kept'),
  follower_count: z.int().min(0).refine(Number.isSafeInteger).nullable(),
  tag_list: z
    .array(
      z
        .string()
        .min(1)
        .refine((t) => t === t.trim() && !t.includes(','), 'tag must be trimmed, without commas'),
    )
    .min(1)
    .nullable(),
  media_type: z.enum(['image', 'video', 'story']).nullable(),
  image_src: cleanText.refine((v) => v !== 'Image src error.', 'placeholder kept'),
  downloaded: z.boolean(),
  save_location: cleanText.refine((v) => v === null || !v.startsWith('Local save in '), 'prefix kept'),
  category: cleanText,
  ...stamps,
});

const cleanGeoSchema = z
  .strictObject({
    ind: z.int().min(0),
    timestamp: instant,
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    coordinates: z.tuple([z.number(), z.number()]),
    country: cleanText,
    ...stamps,
  })
  .refine((g) => g.coordinates[0] === g.latitude && g.coordinates[1] === g.longitude, 'coordinates must be [latitude, longitude]');

const cleanUserSchema = z
  .strictObject({
    ind: z.int().min(0),
    user_name: cleanText,
    age: z.int().min(0).max(130),
    age_group: z.enum(['under-18', '18-24', '25-35', '36-50', '50+']),
    date_joined: instant,
    ...stamps,
  })
  .refine((u) => u.age_group === toAgeGroupSpec(u.age), 'age_group must follow the age');

/** §2 age groups, written again from the contract (not imported) */
function toAgeGroupSpec(age: number): string {
  if (age < 18) return 'under-18';
  if (age <= 24) return '18-24';
  if (age <= 35) return '25-35';
  if (age <= 50) return '36-50';
  return '50+';
}

const CLEAN = { pin: cleanPinSchema, geo: cleanGeoSchema, user: cleanUserSchema } as const;

/** the property: never throws; ok → schema-valid clean record; not ok → non-empty reason */
function checkOutcome(type: RecordType, input: unknown): { ok: boolean } {
  let res: ReturnType<typeof cleanRecord>;
  try {
    res = cleanRecord(type, input);
  } catch (e) {
    throw new Error(`cleanRecord threw for a ${type}: ${(e as Error).message}`);
  }
  if (res.ok) {
    const v = CLEAN[type].safeParse(res.value);
    if (!v.success)
      throw new Error(
        `clean ${type} does not have the clean shape: ${JSON.stringify(v.error.issues.slice(0, 3))} value ${JSON.stringify(res.value).slice(0, 500)}`,
      );
    expect(Array.isArray(res.issues)).toBe(true);
  } else {
    expect(typeof res.reason).toBe('string');
    expect(res.reason.trim().length).toBeGreaterThan(0);
  }
  return { ok: res.ok };
}

/** raw schema valid and stamps valid: the record must not become a dead letter */
function mustBeClean(type: RecordType, input: unknown): boolean {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  if (!rawSchemas[type].safeParse(input).success) return false;
  const r = input as Record<string, unknown>;
  if (typeof r.event_id !== 'string' || r.event_id === '' || typeof r.ingested_at !== 'string' || parseDateTime(r.ingested_at) === null) return false;
  return true;
}

// ---- arbitraries ------------------------------------------------------------------------------
const PLACEHOLDERS = [
  ...CONTRACT_PLACEHOLDERS,
  'Local save in /data/art',
  'Local save in ',
  '',
  ' ',
  '\t',
  '124k',
  '1.5k',
  '6M',
  '2B',
  '0',
  '99999999999999999999',
  '1e3',
  '12.k',
  'a, b,,c',
  ' , , ',
];
const dateTexts = fc.oneof(
  fc.date({ min: new Date(Date.UTC(100, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ min: new Date(Date.UTC(1000, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })
    .map((d) => d.toISOString().replace('T', ' ').slice(0, 19)),
  fc.constantFrom(
    '2020-08-28 03:52:47',
    '2020-02-30 00:00:00',
    '2020-08-28T03:52:47+05:30',
    '2021-13-01 00:00:00',
    '0000-01-01 00:00:00',
    '2020-08-28',
    'yesterday',
    '',
    '2020-08-28 24:00:00',
    '+275760-09-13T00:00:00.000Z',
  ),
  fc
    .tuple(
      fc.date({ min: new Date(Date.UTC(1000, 0, 2)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }),
      fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
      fc.boolean(),
    )
    .map(([d, off, colon]) => {
      const a = Math.abs(off);
      const zone = `${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}${colon ? ':' : ''}${String(a % 60).padStart(2, '0')}`;
      return d.toISOString().slice(0, 19) + zone;
    }),
  fc.string(),
);
/** values of any JSON type, with a bias to the edges that matter here */
const edgeValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...PLACEHOLDERS),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.double(),
  fc.integer(),
  fc.constantFrom(-1, 0, 1, 2, 17, 18, 24, 25, 35, 36, 50, 51, 130, 131, -90.0001, 90.0001, 180.5, Number.MAX_SAFE_INTEGER, 2 ** 53, 0.5, -0),
  dateTexts,
  fc.constant(undefined),
);

/** a valid record with arbitrary edits: fields replaced, removed, padded, added */
const variation = fc
  .tuple(
    validStamped,
    fc.array(fc.tuple(fc.constantFrom('replace', 'delete', 'pad', 'add', 'keep'), fc.nat(), edgeValue, fc.string({ maxLength: 12 })), { maxLength: 5 }),
  )
  .map(([{ type, rec }, edits]) => {
    const out: Record<string, unknown> = { ...rec };
    const keys = Object.keys(rec);
    for (const [op, at, value, name] of edits) {
      const k = keys[at % keys.length]!;
      if (op === 'replace') out[k] = value;
      else if (op === 'delete') delete out[k];
      else if (op === 'pad' && typeof out[k] === 'string') out[k] = `  ${out[k] as string}\t`;
      else if (op === 'add') out[name || 'extra'] = value;
    }
    return { type, rec: out };
  });

/** a copy in this realm (structuredClone would give objects of another realm under jest) */
function deepCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepCopy);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepCopy(x)]));
  return v;
}

// ---- properties -------------------------------------------------------------------------------
describe('cleanRecord under arbitrary input (fast-check)', () => {
  test('arbitrary JSON values of any shape: never throws; ok → clean shape, else a reason', () => {
    fc.assert(
      fc.property(
        anyType,
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withTypedArray: true }),
        ),
        (type, input) => {
          checkOutcome(type, input);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('objects with the right keys and arbitrary values: never throws; ok → clean shape, else a reason', () => {
    // every raw field of the schema (records.ts), plus what the API stamps
    const KEYS = Object.fromEntries(TOPICS.map((t) => [t, [...Object.keys(rawSchemas[t].shape), 'event_id', 'ingested_at']])) as Record<RecordType, string[]>;
    fc.assert(
      fc.property(
        anyType.chain((type) => fc.tuple(fc.constant(type), fc.dictionary(fc.constantFrom(...KEYS[type]), edgeValue, { maxKeys: KEYS[type].length }))),
        ([type, rec]) => {
          const { ok } = checkOutcome(type, rec);
          if (mustBeClean(type, rec)) expect(ok).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('valid stamped records always clean ok, to the clean shape', () => {
    fc.assert(
      fc.property(validStamped, ({ type, rec }) => {
        expect(mustBeClean(type, rec)).toBe(true);
        expect(checkOutcome(type, rec).ok).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  test('arbitrary variations of valid records: never throws; valid ones clean ok; invalid ones are dead letters with a reason', () => {
    let ok = 0;
    let dead = 0;
    fc.assert(
      fc.property(variation, ({ type, rec }) => {
        const res = checkOutcome(type, rec);
        if (mustBeClean(type, rec)) expect(res.ok).toBe(true);
        if (res.ok) ok++;
        else dead++;
      }),
      { numRuns: RUNS * 2 },
    );
    // the generator reaches both outcomes (otherwise the property would prove little)
    expect(ok).toBeGreaterThan(RUNS / 10);
    expect(dead).toBeGreaterThan(RUNS / 10);
  });

  test("the stream's projected cleaner: cleanRecord's verdict and reason, and the chosen columns' values as cleanRecord gives them", () => {
    const columnsOf = (type: RecordType) => fc.subarray([...RULES[type].map((c) => c.name), 'event_id', 'ingested_at', 'no_such_column']);
    const input = fc.oneof(
      variation,
      validStamped,
      anyType.chain((type) => fc.record({ type: fc.constant(type), rec: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Record<string, unknown>> })),
    );
    let ok = 0;
    fc.assert(
      fc.property(
        input.chain(({ type, rec }) => fc.tuple(fc.constant(type), fc.constant(rec), columnsOf(type))),
        ([type, rec, columns]) => {
          const want = cleanRecord(type, rec);
          const got = projectCleaner(type, columns)(rec);
          if (!want.ok) {
            expect(got).toEqual({ ok: false, reason: want.reason });
            return;
          }
          ok++;
          const value = want.value as unknown as Record<string, unknown>;
          const asStaged = (v: unknown) => (v === undefined || v === null ? null : v === 0 ? 0 : v);
          expect(got).toEqual({
            ok: true,
            ind: value.ind,
            event_id: value.event_id,
            ingested_at: value.ingested_at,
            vals: columns.map((c) => asStaged(value[c])),
          });
        },
      ),
      { numRuns: RUNS * 2 },
    );
    expect(ok).toBeGreaterThan(RUNS / 10);
  });

  test('cleaning is deterministic and does not modify its input', () => {
    fc.assert(
      fc.property(variation, ({ type, rec }) => {
        const copy = deepCopy(rec) as Record<string, unknown>;
        const a = cleanRecord(type, rec);
        const b = cleanRecord(type, copy);
        expect(rec).toEqual(copy);
        expect(b).toEqual(a);
      }),
      { numRuns: RUNS },
    );
  });

  test('the age groups of the clean shape agree with the cleaner over the whole age range', () => {
    for (let age = 0; age <= 130; age++) expect(toAgeGroup(age)).toBe(toAgeGroupSpec(age));
  });
});
