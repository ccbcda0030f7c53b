import { CONTRACT_PIN } from '../fixtures/contract-examples.js';
import {
  cleanGeo,
  cleanPin,
  cleanRecord,
  cleanText,
  cleanUser,
  dropPlaceholder,
  joinUserName,
  parseFollowerCount,
  splitTags,
  stripSaveLocation,
  toAgeGroup,
  toMediaType,
} from '../../src/core/clean.js';

const stamps = { event_id: 'e-1', ingested_at: '2026-11-27T10:00:00.000Z' };

describe('data contract §2: every cleaning rule', () => {
  test.each([
    ['  hello  ', 'hello'],
    ['   ', null],
    ['', null],
    ['\t\n', null],
    [42, null],
  ])('any text field: cleanText(%j) → %j', (input, expected) => {
    expect(cleanText(input)).toBe(expected);
  });

  test.each([
    ['title', 'No Title Data Available', null],
    ['title', '  No Title Data Available ', null],
    ['title', 'Cosy cabin', 'Cosy cabin'],
    ['description', 'No description available Story format', null],
    ['description', 'No description available', null],
    ['description', 'A lovely room', 'A lovely room'],
    ['poster_name', 'User Info Error', null],
    ['poster_name', 'Jane Doe', 'Jane Doe'],
    ['image_src', 'Image src error.', null],
    ['image_src', 'https://i.pinimg.com/a.jpg', 'https://i.pinimg.com/a.jpg'],
  ])('%s %j → %j', (field, input, expected) => {
    const raw = pinRaw({ [field]: input });
    const r = cleanPin(raw);
    expect(r.ok && (r.value as unknown as Record<string, unknown>)[field]).toBe(expected);
  });

  test.each([
    ['940', 940],
    ['124k', 124000],
    ['124K', 124000],
    ['6M', 6000000],
    ['6m', 6000000],
    ['1.5k', 1500],
    ['2B', 2000000000],
    ['0.3k', 300],
    [' 12 ', 12],
    ['User Info Error', null],
    ['12 k', null],
    ['k', null],
    ['1,000', null],
    ['-5', null],
    ['', null],
  ])('follower_count %j → %j', (input, expected) => {
    expect(parseFollowerCount(input)).toBe(expected);
  });

  test.each([
    ['N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e', null],
    ['a, b,,c', ['a', 'b', 'c']],
    ['single', ['single']],
    [' , ,', null],
    ['', null],
  ])('tag_list %j → %j', (input, expected) => {
    expect(splitTags(input)).toEqual(expected);
  });

  test.each([
    ['image', 'image'],
    ['video', 'video'],
    ['multi-video(story page format)', 'story'],
    ['gif', null],
    ['', null],
  ])('is_image_or_video %j → media_type %j', (input, expected) => {
    expect(toMediaType(input)).toBe(expected);
  });

  test.each([
    ['Local save in /data/art', '/data/art'],
    ['Local save in /data/mens-fashion', '/data/mens-fashion'],
    ['/data/already', '/data/already'],
    ['Local save in ', null],
  ])('save_location %j → %j', (input, expected) => {
    expect(stripSaveLocation(input)).toBe(expected);
  });

  test.each([
    [0, 'under-18'],
    [17, 'under-18'],
    [18, '18-24'],
    [24, '18-24'],
    [25, '25-35'],
    [35, '25-35'],
    [36, '36-50'],
    [50, '36-50'],
    [51, '50+'],
    [130, '50+'],
  ])('age %i → age_group %s', (age, group) => {
    expect(toAgeGroup(age)).toBe(group);
  });

  test.each([
    ['Abigail', 'Ali', 'Abigail Ali'],
    [' Abigail ', ' Ali ', 'Abigail Ali'],
    ['Abigail', '', 'Abigail'],
    ['', '  ', null],
  ])('user_name(%j, %j) → %j', (first, last, expected) => {
    expect(joinUserName(first, last)).toBe(expected);
  });

  test('dropPlaceholder only drops exact placeholders', () => {
    expect(dropPlaceholder('No Title Data Available!', ['No Title Data Available'])).toBe('No Title Data Available!');
  });
});

describe('whole records', () => {
  test('the contract example row 7528 (fully broken story pin)', () => {
    const r = cleanPin({
      ...CONTRACT_PIN,
      ...stamps,
    });
    expect(r).toEqual({
      ok: true,
      issues: [],
      value: {
        ind: 7528,
        unique_id: 'fbe53c66-3442-4773-b19e-d3ec6f54dddf',
        title: null,
        description: null,
        poster_name: null,
        follower_count: null,
        tag_list: null,
        media_type: 'story',
        image_src: null,
        downloaded: false,
        save_location: '/data/mens-fashion',
        category: 'mens-fashion',
        ...stamps,
      },
    });
  });

  test('geo: timestamp parsed to a UTC instant, coordinates', () => {
    const r = cleanGeo({ ind: 7528, timestamp: '2020-08-28 03:52:47', latitude: -89.9787, longitude: -173.293, country: 'Albania', ...stamps });
    expect(r).toEqual({
      ok: true,
      issues: [],
      value: {
        ind: 7528,
        timestamp: '2020-08-28T03:52:47.000Z',
        latitude: -89.9787,
        longitude: -173.293,
        coordinates: [-89.9787, -173.293],
        country: 'Albania',
        ...stamps,
      },
    });
    const iso = cleanGeo({ ind: 1, timestamp: '2020-08-28T05:52:47+02:00', latitude: 0, longitude: 0, country: 'X', ...stamps });
    expect(iso.ok && iso.value.timestamp).toBe('2020-08-28T03:52:47.000Z');
  });

  test('user: user_name, age_group, date_joined', () => {
    const r = cleanUser({ ind: 7528, first_name: 'Abigail', last_name: 'Ali', age: 20, date_joined: '2015-10-24 11:23:51', ...stamps });
    expect(r).toEqual({
      ok: true,
      issues: [],
      value: { ind: 7528, user_name: 'Abigail Ali', age: 20, age_group: '18-24', date_joined: '2015-10-24T11:23:51.000Z', ...stamps },
    });
  });

  test('values that match no rule are counted as data-quality issues; placeholders are not', () => {
    const r = cleanPin(pinRaw({ follower_count: 'lots', is_image_or_video: 'gif' }));
    expect(r.ok && r.issues).toEqual([
      { field: 'follower_count', value: 'lots' },
      { field: 'is_image_or_video', value: 'gif' },
    ]);
    const p = cleanPin(pinRaw({ follower_count: 'User Info Error' }));
    expect(p.ok && p.issues).toEqual([]);
  });

  test('unknown extra fields are ignored by cleaning', () => {
    const r = cleanRecord('geo', { ind: 1, timestamp: '2020-01-01 00:00:00', latitude: 1, longitude: 2, country: 'X', extra: 'kept raw', ...stamps });
    expect(r.ok && 'extra' in r.value).toBe(false);
  });

  test.each([
    ['pin', null, 'record is not a JSON object'],
    ['pin', [1], 'record is not a JSON object'],
    ['geo', { ind: 1, timestamp: 'yesterday', latitude: 1, longitude: 2, country: 'X', ...stamps }, 'invalid geo record: timestamp'],
    ['user', { ind: -1, first_name: 'a', last_name: 'b', age: 3, date_joined: '2015-01-01 00:00:00', ...stamps }, 'invalid user record: ind'],
    ['geo', { ind: 1, timestamp: '2020-01-01 00:00:00', latitude: 1, longitude: 2, country: 'X' }, 'missing event_id or ingested_at'],
  ] as const)('cleanRecord(%s, …) fails with a reason, never throws', (type, raw, reason) => {
    const r = cleanRecord(type, raw);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });
});

function pinRaw(over: Record<string, unknown>): Record<string, unknown> {
  return {
    index: 1,
    unique_id: '00000000-0000-4000-8000-000000000001',
    title: 't',
    description: 'd',
    poster_name: 'p',
    follower_count: '10',
    tag_list: 'a,b',
    is_image_or_video: 'image',
    image_src: 'https://x/y.jpg',
    downloaded: 1,
    save_location: 'Local save in /data/art',
    category: 'art',
    ...stamps,
    ...over,
  };
}
