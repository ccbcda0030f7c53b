/**
 * The fast paths of cleaning (src/core/records.ts passesRawSchemaFast, src/core/time.ts plainDateTimeIso,
 * src/core/clean.ts splitTags and stripSaveLocation shortcuts) give exactly the results of the
 * plain implementation they stand in for: zod's raw schema, time.ts's general date-time parser,
 * split/trim/filter and the prefix regex. The reference cleaning below is the transform written
 * without any fast path; for arbitrary input, cleanRecord must return a deep-equal result.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  cleanRecord,
  cleanText,
  dropPlaceholder,
  joinUserName,
  parseFollowerCount,
  splitTags,
  stripSaveLocation,
  toAgeGroup,
  toMediaType,
} from '../../src/core/clean.js';
import { TOPICS, passesRawSchemaFast, rawSchemas, type RecordType } from '../../src/core/records.js';
import { parseDateTime, plainDateTimeIso, toIsoInstant } from '../../src/core/time.js';
import { anyType, validStamped } from './clean-arbitraries.js';

const RUNS = 2000;

// ---- the reference: cleaning with zod and the general helpers only ---------------------------
const refSplitTags = (v: unknown): string[] | null => {
  const t = dropPlaceholder(v, ['N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e']);
  if (t === null) return null;
  const tags = t
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return tags.length ? tags : null;
};
const refStripSaveLocation = (v: unknown): string | null => {
  const t = cleanText(v);
  return t === null ? null : cleanText(t.replace(/^Local save in(\s+|$)/, ''));
};
const refIso = (v: unknown): string | null => (typeof v === 'string' ? toIsoInstant(v) : null);

function refStamps(raw: Record<string, unknown>) {
  const event_id = typeof raw.event_id === 'string' ? raw.event_id : null;
  const ingested_at = refIso(raw.ingested_at);
  return event_id && ingested_at ? { event_id, ingested_at } : null;
}

function refClean(type: RecordType, raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'record is not a JSON object' };
  const parsed = rawSchemas[type].safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return { ok: false, reason: `invalid ${type} record: ${i.path.join('.') || '(record)'} ${i.message}` };
  }
  const r = raw as Record<string, unknown>;
  if (type === 'pin') {
    const issues: { field: string; value: string }[] = [];
    const follower_count = parseFollowerCount(r.follower_count);
    const fc = dropPlaceholder(r.follower_count, ['User Info Error']);
    if (follower_count === null && fc !== null) issues.push({ field: 'follower_count', value: fc });
    const media_type = toMediaType(r.is_image_or_video);
    const media = cleanText(r.is_image_or_video);
    if (media_type === null && media !== null) issues.push({ field: 'is_image_or_video', value: media });
    const s = refStamps(r);
    if (!s) return { ok: false, reason: 'missing event_id or ingested_at stamp' };
    return {
      ok: true,
      issues,
      value: {
        ind: r.index,
        unique_id: cleanText(r.unique_id),
        title: dropPlaceholder(r.title, ['No Title Data Available']),
        description: dropPlaceholder(r.description, ['No description available Story format', 'No description available']),
        poster_name: dropPlaceholder(r.poster_name, ['User Info Error']),
        follower_count,
        tag_list: refSplitTags(r.tag_list),
        media_type,
        image_src: dropPlaceholder(r.image_src, ['Image src error.']),
        downloaded: r.downloaded === 1,
        save_location: refStripSaveLocation(r.save_location),
        category: cleanText(r.category),
        ...s,
      },
    };
  }
  if (type === 'geo') {
    const timestamp = refIso(r.timestamp);
    if (timestamp === null) return { ok: false, reason: 'timestamp is not a date-time' };
    const s = refStamps(r);
    if (!s) return { ok: false, reason: 'missing event_id or ingested_at stamp' };
    const latitude = r.latitude as number;
    const longitude = r.longitude as number;
    return {
      ok: true,
      issues: [],
      value: { ind: r.ind, timestamp, latitude, longitude, coordinates: [latitude, longitude], country: cleanText(r.country), ...s },
    };
  }
  const date_joined = refIso(r.date_joined);
  if (date_joined === null) return { ok: false, reason: 'date_joined is not a date-time' };
  const s = refStamps(r);
  if (!s) return { ok: false, reason: 'missing event_id or ingested_at stamp' };
  const age = r.age as number;
  return {
    ok: true,
    issues: [],
    value: { ind: r.ind, user_name: joinUserName(r.first_name, r.last_name), age, age_group: toAgeGroup(age), date_joined, ...s },
  };
}

// ---- arbitraries ------------------------------------------------------------------------------
const digits = (n: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n }).map((a) => a.join(''));
/** `YYYY-MM-DD HH:MM:SS`-shaped text with arbitrary digits (many impossible dates) */
const plainShaped = fc
  .tuple(digits(4), digits(2), digits(2), fc.constantFrom(' ', 'T', 't', '_'), digits(2), digits(2), digits(2))
  .map(([y, mo, d, sep, h, mi, s]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}`);
const dateText = fc.oneof(
  plainShaped,
  fc
    .date({ min: new Date(Date.UTC(100, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })
    .map((d) => d.toISOString().replace('T', ' ').slice(0, 19)),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '2020-02-29 00:00:00',
    '2019-02-29 00:00:00',
    '1900-02-29 12:00:00',
    '2000-02-29 23:59:59',
    '0099-12-31 00:00:00',
    '0100-01-01 00:00:00',
    '2020-08-28 24:00:00',
    '2020-08-28 03:60:00',
    '2020-08-28 03:52:60',
    '2020-00-10 00:00:00',
    '2020-12-32 00:00:00',
    '2020-08-28 03:52:47 ',
    ' 2020-08-28 03:52:47',
    '２020-08-28 03:52:47',
  ),
  fc.string({ maxLength: 24 }),
);
const tagText = fc
  .array(fc.constantFrom('a', 'b c', ',', ' ', '\t', '\u00a0', '\u3000', '\n', 'é', '"', 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e', '\ufeff', 'x\u2028'), {
    maxLength: 12,
  })
  .map((a) => a.join(''));
const saveText = fc
  .tuple(
    fc.constantFrom('Local save in ', 'Local save in', 'Local save in  ', 'Local save in\t', 'local save in ', ' Local save in ', ''),
    fc.constantFrom('', '/data/art', ' /x ', '\u00a0', 'Local save in /y'),
  )
  .map(([a, b]) => a + b);
const edgeValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    -1,
    0,
    1,
    2,
    -0,
    17,
    130,
    131,
    90,
    -90,
    90.0001,
    180,
    -180.5,
    Number.MAX_SAFE_INTEGER,
    2 ** 53,
    0.5,
    'fbe53c66-3442-4773-b19e-d3ec6f54dddf',
    'FBE53C66-3442-4773-B19E-D3EC6F54DDDF',
    'fbe53c66-3442-4773-b19e-d3ec6f54dddg',
    'fbe53c66x3442-4773-b19e-d3ec6f54dddf',
  ),
  dateText,
  tagText,
  saveText,
  fc.constant(undefined),
);
const variation = fc
  .tuple(validStamped, fc.array(fc.tuple(fc.constantFrom('replace', 'delete', 'pad', 'keep'), fc.nat(), edgeValue), { maxLength: 4 }))
  .map(([{ type, rec }, edits]) => {
    const out: Record<string, unknown> = { ...rec };
    const keys = Object.keys(rec);
    for (const [op, at, value] of edits) {
      const k = keys[at % keys.length]!;
      if (op === 'replace') out[k] = value;
      else if (op === 'delete') delete out[k];
      else if (op === 'pad' && typeof out[k] === 'string') out[k] = `  ${out[k] as string}\t`;
    }
    return { type, rec: out };
  });
const anyInput = fc.oneof(
  variation,
  fc.tuple(anyType, fc.anything({ maxDepth: 2, withNullPrototype: true })).map(([type, rec]) => ({ type, rec: rec as unknown })),
);

// ---- properties -------------------------------------------------------------------------------
describe('fast paths of cleaning equal the plain implementation', () => {
  test('cleanRecord equals the reference cleaning for arbitrary input', () => {
    fc.assert(
      fc.property(anyInput, ({ type, rec }) => {
        expect(cleanRecord(type, rec)).toEqual(refClean(type, rec));
      }),
      { numRuns: RUNS },
    );
  });

  test('passesRawSchemaFast vouches only for records the schema accepts, and for every valid record', () => {
    fc.assert(
      fc.property(anyInput, ({ type, rec }) => {
        if (typeof rec === 'object' && rec !== null && !Array.isArray(rec) && passesRawSchemaFast(type, rec as Record<string, unknown>)) {
          expect(rawSchemas[type].safeParse(rec).success).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(validStamped, ({ type, rec }) => {
        expect(passesRawSchemaFast(type, rec)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('plainDateTimeIso equals toIsoInstant wherever it answers, and answers for the data set form', () => {
    fc.assert(
      fc.property(dateText, (s) => {
        const fast = plainDateTimeIso(s);
        if (fast !== undefined) {
          expect(fast).toBe(toIsoInstant(s));
          expect(parseDateTime(s)).not.toBeNull();
        }
      }),
      { numRuns: RUNS * 5 },
    );
    expect(plainDateTimeIso('2020-08-28 03:52:47')).toBe('2020-08-28T03:52:47.000Z');
    expect(plainDateTimeIso('2020-02-29 00:00:00')).toBe('2020-02-29T00:00:00.000Z');
    expect(plainDateTimeIso('2019-02-29 00:00:00')).toBeUndefined();
    expect(plainDateTimeIso('0099-12-31 00:00:00')).toBeUndefined();
  });

  test('splitTags and stripSaveLocation equal split/trim/filter and the prefix regex', () => {
    fc.assert(
      fc.property(fc.oneof(tagText, saveText, fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 1 })), (v) => {
        expect(splitTags(v)).toEqual(refSplitTags(v));
        expect(stripSaveLocation(v)).toEqual(refStripSaveLocation(v));
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
