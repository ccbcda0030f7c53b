/** The seed's three MySQL tables, their columns, and row ↔ record conversion. */
import type { RawGeo, RawPin, RawUser } from '../../core/records.js';

export const TABLES = { pin: 'pinterest_data', geo: 'geolocation_data', user: 'user_data' } as const;
export const KEY_COLUMN = { pin: 'index', geo: 'ind', user: 'ind' } as const;

export const COLUMNS = {
  pin: [
    'index',
    'unique_id',
    'title',
    'description',
    'poster_name',
    'follower_count',
    'tag_list',
    'is_image_or_video',
    'image_src',
    'downloaded',
    'save_location',
    'category',
  ],
  geo: ['ind', 'timestamp', 'latitude', 'longitude', 'country'],
  user: ['ind', 'first_name', 'last_name', 'age', 'date_joined'],
} as const;

export const CREATE_TABLES = [
  `CREATE TABLE IF NOT EXISTS pinterest_data (
    \`index\` INT NOT NULL PRIMARY KEY, unique_id VARCHAR(64), title TEXT, description TEXT, poster_name TEXT,
    follower_count VARCHAR(64), tag_list TEXT, is_image_or_video VARCHAR(64), image_src TEXT, downloaded INT,
    save_location TEXT, category VARCHAR(64)) DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS geolocation_data (
    ind INT NOT NULL PRIMARY KEY, timestamp DATETIME, latitude DOUBLE, longitude DOUBLE, country TEXT) DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS user_data (
    ind INT NOT NULL PRIMARY KEY, first_name TEXT, last_name TEXT, age INT, date_joined DATETIME) DEFAULT CHARSET=utf8mb4`,
];

type Row = Record<string, unknown>;

/** A DATETIME (string with dateStrings, or a Date) as "YYYY-MM-DD HH:MM:SS". */
export function sqlDateTimeText(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString().slice(0, 19).replace('T', ' ');
  if (typeof v === 'string') return v.replace(/\.0+$/, '');
  return v;
}

function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return sqlDateTimeText(v);
  return v;
}

/** Numbers stored as text or DECIMAL come back as strings: make them JSON numbers again. */
function num(v: unknown): unknown {
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return v;
}

const text = (v: unknown): unknown => (v === null || v === undefined ? '' : typeof v === 'number' ? String(v) : v);

function base(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = plain(v);
  return out;
}

export function pinFromRow(row: Row): RawPin {
  const r = base(row);
  for (const k of ['unique_id', 'title', 'description', 'follower_count', 'tag_list', 'is_image_or_video', 'image_src', 'save_location', 'category'])
    r[k] = text(r[k]);
  if (r.poster_name === null || r.poster_name === undefined) delete r.poster_name;
  r.index = num(r.index);
  r.downloaded = num(r.downloaded);
  return r as RawPin;
}

export function geoFromRow(row: Row): RawGeo {
  const r = base(row);
  r.ind = num(r.ind);
  r.latitude = num(r.latitude);
  r.longitude = num(r.longitude);
  r.timestamp = sqlDateTimeText(r.timestamp);
  r.country = text(r.country);
  return r as RawGeo;
}

export function userFromRow(row: Row): RawUser {
  const r = base(row);
  r.ind = num(r.ind);
  r.age = num(r.age);
  r.date_joined = sqlDateTimeText(r.date_joined);
  r.first_name = text(r.first_name);
  r.last_name = text(r.last_name);
  return r as RawUser;
}

/** The values of a record in the order of its table's columns (for INSERT). */
export function rowValues(type: keyof typeof COLUMNS, rec: Record<string, unknown>): unknown[] {
  return COLUMNS[type].map((c) => (rec[c] === undefined ? null : rec[c]));
}
