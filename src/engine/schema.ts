/**
 * Column layouts the engine reads and writes, defined once: the raw views (records.ts types plus
 * the stamps), the staged cleaned records (clean.ts output plus log position) and the curated
 * tables (data contract §2 names plus event_id, ingested_at). Timestamps are TIMESTAMP holding
 * UTC (the engine runs with TimeZone=UTC; Parquet stores them as UTC instants without zone).
 */
import type { RecordType } from '../core/records.js';

export type Columns = readonly (readonly [name: string, duckType: string])[];

const STAMPS: Columns = [
  ['event_id', 'VARCHAR'],
  ['ingested_at', 'TIMESTAMP'],
];

/** Raw records as accepted (data contract §1), typed per src/core/records.ts, plus stamps. */
export const RAW_COLUMNS: Record<RecordType, Columns> = {
  pin: [
    ['index', 'BIGINT'],
    ['unique_id', 'VARCHAR'],
    ['title', 'VARCHAR'],
    ['description', 'VARCHAR'],
    ['poster_name', 'VARCHAR'],
    ['follower_count', 'VARCHAR'],
    ['tag_list', 'VARCHAR'],
    ['is_image_or_video', 'VARCHAR'],
    ['image_src', 'VARCHAR'],
    ['downloaded', 'INTEGER'],
    ['save_location', 'VARCHAR'],
    ['category', 'VARCHAR'],
    ...STAMPS,
  ],
  geo: [['ind', 'BIGINT'], ['timestamp', 'VARCHAR'], ['latitude', 'DOUBLE'], ['longitude', 'DOUBLE'], ['country', 'VARCHAR'], ...STAMPS],
  user: [['ind', 'BIGINT'], ['first_name', 'VARCHAR'], ['last_name', 'VARCHAR'], ['age', 'INTEGER'], ['date_joined', 'VARCHAR'], ...STAMPS],
};

/** The curated tables (data contract §2 column names) plus event_id and ingested_at. */
export const CURATED_COLUMNS = {
  pins: [
    ['ind', 'BIGINT'],
    ['unique_id', 'VARCHAR'],
    ['title', 'VARCHAR'],
    ['description', 'VARCHAR'],
    ['poster_name', 'VARCHAR'],
    ['follower_count', 'BIGINT'],
    ['tag_list', 'VARCHAR[]'],
    ['media_type', 'VARCHAR'],
    ['image_src', 'VARCHAR'],
    ['downloaded', 'BOOLEAN'],
    ['save_location', 'VARCHAR'],
    ['category', 'VARCHAR'],
    ...STAMPS,
  ],
  geo: [
    ['ind', 'BIGINT'],
    ['timestamp', 'TIMESTAMP'],
    ['latitude', 'DOUBLE'],
    ['longitude', 'DOUBLE'],
    ['coordinates', 'DOUBLE[]'],
    ['country', 'VARCHAR'],
    ...STAMPS,
  ],
  users: [['ind', 'BIGINT'], ['user_name', 'VARCHAR'], ['age', 'INTEGER'], ['age_group', 'VARCHAR'], ['date_joined', 'TIMESTAMP'], ...STAMPS],
} as const satisfies Record<string, Columns>;

export type CuratedTable = keyof typeof CURATED_COLUMNS;
export const CURATED_TABLES = Object.keys(CURATED_COLUMNS) as CuratedTable[];
export const TABLE_OF: Record<RecordType, CuratedTable> = { pin: 'pins', geo: 'geo', user: 'users' };

/**
 * Staged cleaned records (CSV written by batch-run's staging, see src/pipeline/batch-run/encode.ts):
 * the curated columns, except that tag_list is the cleaned tags joined with ',' (a cleaned tag
 * is trimmed, non-empty and holds no ','), and coordinates, which is [latitude, longitude] by
 * definition, is rebuilt; plus the log position (_partition, _offset) for de-duplication.
 */
export const STAGE_COLUMNS: Record<RecordType, Columns> = {
  pin: [
    ...CURATED_COLUMNS.pins.map(([n, t]): readonly [string, string] => [n, n === 'tag_list' ? 'VARCHAR' : t]),
    ['_partition', 'INTEGER'],
    ['_offset', 'BIGINT'],
  ],
  geo: [...CURATED_COLUMNS.geo.filter(([n]) => n !== 'coordinates'), ['_partition', 'INTEGER'], ['_offset', 'BIGINT']],
  user: [...CURATED_COLUMNS.users, ['_partition', 'INTEGER'], ['_offset', 'BIGINT']],
};

/** SELECT list turning staged columns into the curated table's columns (all, or those named), in curated order. */
export function curatedFromStage(table: CuratedTable, names?: readonly string[]): string {
  return CURATED_COLUMNS[table]
    .filter(([n]) => !names || names.includes(n))
    .map(([n]) => {
      if (table === 'pins' && n === 'tag_list') return `string_split(tag_list, ',') AS tag_list`;
      if (table === 'geo' && n === 'coordinates') return `[latitude, longitude] AS coordinates`;
      return ident(n);
    })
    .join(', ');
}

/**
 * SELECT list of staged columns (by name) from the curated table's columns: the inverse of
 * curatedFromStage (a cleaned tag holds no ',', so joining the split tags gives the text back).
 */
export function stageFromCurated(table: CuratedTable, names: readonly string[]): string {
  return names.map((n) => (table === 'pins' && n === 'tag_list' ? `array_to_string(tag_list, ',') AS tag_list` : ident(n))).join(', ');
}

export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** `name TYPE, ...` for CREATE TABLE. */
export const columnDefs = (cols: Columns): string => cols.map(([n, t]) => `${ident(n)} ${t}`).join(', ');

/** `{'name': 'TYPE', ...}` for read_json(columns=...). */
export const columnStruct = (cols: Columns): string => `{${cols.map(([n, t]) => `'${n}': '${t}'`).join(', ')}}`;

export const columnList = (cols: Columns, prefix = ''): string => cols.map(([n]) => prefix + ident(n)).join(', ');

/** A typed SELECT with no rows (a view over an empty zone). */
export const emptySelect = (cols: Columns): string => `SELECT ${cols.map(([n, t]) => `CAST(NULL AS ${t}) AS ${ident(n)}`).join(', ')} WHERE false`;

/** Columns of geo and users that the postings leave out (the pin's are kept). */
const PARTNER_STAMPS = ['ind', 'event_id', 'ingested_at'];

/**
 * Every column of the postings: pins, geo and users inner-joined on ind, with every curated column
 * (the pin's ind, event_id and ingested_at; geo's and users' own stamps are left out).
 */
export const POSTINGS_COLUMNS: string[] = [
  ...CURATED_COLUMNS.pins.map(([n]) => n),
  ...CURATED_COLUMNS.geo.map(([n]) => n).filter((n) => !PARTNER_STAMPS.includes(n)),
  ...CURATED_COLUMNS.users.map(([n]) => n).filter((n) => !PARTNER_STAMPS.includes(n)),
];

/** SELECT of the postings over the relations pins, geo, users (only `columns` when given). */
export function postingsSelect(columns?: readonly string[]): string {
  const want = columns ? new Set(columns) : null;
  const pick = (alias: string, table: CuratedTable, skip: string[]) =>
    CURATED_COLUMNS[table].filter(([n]) => !skip.includes(n) && (!want || want.has(n))).map(([n]) => `${alias}.${ident(n)}`);
  const cols = [...pick('p', 'pins', []), ...pick('g', 'geo', PARTNER_STAMPS), ...pick('u', 'users', PARTNER_STAMPS)];
  return `SELECT ${cols.length ? cols.join(', ') : 'p.ind'} FROM pins p JOIN geo g ON g.ind = p.ind JOIN users u ON u.ind = p.ind`;
}
