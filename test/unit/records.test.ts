import { CONTRACT_GEO, CONTRACT_PIN, CONTRACT_USER } from '../fixtures/contract-examples.js';
import { validateRaw } from '../../src/core/records.js';
import { parseDateTime, parseDuration } from '../../src/core/time.js';

const [pin, geo, user] = [CONTRACT_PIN, CONTRACT_GEO, CONTRACT_USER];

describe('data contract §1 validation', () => {
  test('the contract examples are valid, placeholders included; extra fields kept', () => {
    expect(validateRaw('pin', pin).ok).toBe(true);
    expect(validateRaw('geo', geo).ok).toBe(true);
    expect(validateRaw('user', user).ok).toBe(true);
    const r = validateRaw('geo', { ...geo, extra: 1 });
    expect(r.ok && (r.value as Record<string, unknown>).extra).toBe(1);
    const { poster_name: _omit, ...noPoster } = pin;
    expect(validateRaw('pin', noPoster).ok).toBe(true);
  });

  test.each([
    ['pin', { ...pin, index: -1 }, 'index', 'must be >= 0'],
    ['pin', { ...pin, index: 1.5 }, 'index', 'must be an integer'],
    ['pin', { ...pin, unique_id: 'nope' }, 'unique_id', 'must be a UUID string'],
    ['pin', { ...pin, downloaded: 2 }, 'downloaded', 'must be 0 or 1'],
    ['pin', { ...pin, title: 5 }, 'title', 'must be a string'],
    ['geo', { ...geo, latitude: 91 }, 'latitude', 'must be <= 90'],
    ['geo', { ...geo, longitude: -181 }, 'longitude', 'must be >= -180'],
    ['geo', { ...geo, timestamp: '28/08/2020' }, 'timestamp', 'must be a date-time'],
    ['user', { ...user, age: 131 }, 'age', 'must be <= 130'],
    ['user', { ...user, age: '20' }, 'age', 'must be a number'],
    ['user', { ...user, date_joined: '2015-02-30 00:00:00' }, 'date_joined', 'must be a date-time'],
  ] as const)('%s: %j names %s', (type, rec, field, message) => {
    const r = validateRaw(type, rec);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems).toEqual([{ field, message: expect.stringContaining(message) }]);
  });

  test('every offending field is named at once', () => {
    const r = validateRaw('geo', { ind: 'x', latitude: 200 });
    expect(!r.ok && r.problems.map((p) => p.field).sort()).toEqual(['country', 'ind', 'latitude', 'longitude', 'timestamp']);
    expect(!r.ok && r.problems.find((p) => p.field === 'country')?.message).toBe('is required (string)');
  });

  test.each([null, [], 'text', 3])('not an object: %j', (v) => {
    const r = validateRaw('pin', v);
    expect(!r.ok && r.problems).toEqual([{ field: '(record)', message: 'must be a JSON object' }]);
  });
});

describe('time parsing', () => {
  test.each([
    ['2020-08-28 03:52:47', Date.UTC(2020, 7, 28, 3, 52, 47)],
    ['2020-08-28T03:52:47Z', Date.UTC(2020, 7, 28, 3, 52, 47)],
    ['2020-08-28T03:52:47.123Z', Date.UTC(2020, 7, 28, 3, 52, 47, 123)],
    ['2020-08-28T05:52:47+02:00', Date.UTC(2020, 7, 28, 3, 52, 47)],
    ['2020-08-28', Date.UTC(2020, 7, 28)],
    ['2020-13-01 00:00:00', null],
    ['2021-02-29 00:00:00', null],
    ['2020-08-28 24:00:00', null],
    ['yesterday', null],
  ])('parseDateTime(%j) → %j', (text, ms) => expect(parseDateTime(text)).toBe(ms));

  test.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['250', 250],
    [100, 100],
    ['soon', null],
    [-1, null],
  ] as const)('parseDuration(%j) → %j', (text, ms) => expect(parseDuration(text)).toBe(ms));
});
