/**
 * The current state of the curated zone, kept by batch-run so that readers need not rank every
 * ind again: `curated/_current.json` lists, per table, the day files (key relative to
 * `curated/<table>/` and size) it was computed from and how many of their rows are superseded;
 * `curated/<table>/_superseded.parquet` holds those rows as (dt, ind). A day file holds one row
 * per ind (batch-run writes it so), so a row is superseded only by a later row of the same ind in
 * another day file (latest ingested_at wins, then the larger event_id): the current table is the
 * day files without the superseded rows. `curated/_postings.parquet` holds the current postings
 * (the three current tables joined on ind, the columns the historical metrics read, listed in the
 * manifest), so a metric needs no join.
 *
 * Validity: batch-run deletes the manifest before it publishes any day file and writes it again
 * (after the superseded files) once it has recomputed the state. A reader uses it only when the
 * day files it finds are exactly the listed ones with the listed sizes; otherwise it ranks every
 * ind itself (src/engine/views.ts latestPerInd), which is always right, only slower.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CURATED_TABLES, type CuratedTable } from './schema.js';

export const CURRENT_KEY = 'curated/_current.json';
export const supersededKey = (table: CuratedTable): string => `curated/${table}/_superseded.parquet`;
/** The current postings (postingsSelect of schema.ts over the current tables: the columns the historical metrics read). */
export const POSTINGS_KEY = 'curated/_postings.parquet';

export interface DayFile {
  /** key relative to curated/<table>/, e.g. `dt=2026-11-26/part-0.parquet` */
  name: string;
  size: number;
}

export interface TableState {
  files: DayFile[];
  /** rows of the files that a later row of the same ind supersedes (listed in _superseded.parquet) */
  superseded: number;
}

export interface CurrentManifest {
  version: 3;
  tables: Record<CuratedTable, TableState>;
  /** rows of _postings.parquet */
  postings: number;
  /** its columns */
  postingsColumns: string[];
}

const DAY_DIR = /^dt=\d{4}-\d{2}-\d{2}$/;
const PART = /^part-[^/]*\.parquet$/;

/** The day files of a table in a local copy of the curated zone, sorted by name. */
export function dayFilesOf(curatedDir: string, table: CuratedTable): DayFile[] {
  const dir = path.join(curatedDir, table);
  const out: DayFile[] = [];
  let days: string[];
  try {
    days = readdirSync(dir).filter((d) => DAY_DIR.test(d));
  } catch {
    return out;
  }
  for (const day of days) {
    let names: string[];
    try {
      names = readdirSync(path.join(dir, day)).filter((n) => PART.test(n));
    } catch {
      continue;
    }
    for (const n of names) out.push({ name: `${day}/${n}`, size: statSync(path.join(dir, day, n)).size });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The manifest in a local copy of the curated zone, or null when absent or not readable. */
export function readCurrent(curatedDir: string): CurrentManifest | null {
  try {
    const m = JSON.parse(readFileSync(path.join(curatedDir, '_current.json'), 'utf8')) as CurrentManifest;
    if (m?.version !== 3 || typeof m.tables !== 'object' || m.tables === null || !Number.isInteger(m.postings) || !Array.isArray(m.postingsColumns))
      return null;
    for (const t of CURATED_TABLES) {
      const s = m.tables[t];
      if (!s || !Array.isArray(s.files) || !Number.isInteger(s.superseded)) return null;
    }
    return m;
  } catch {
    return null;
  }
}

/** True when the table's day files are exactly those the manifest was computed from. */
export function stateMatches(state: TableState, files: DayFile[]): boolean {
  return state.files.length === files.length && state.files.every((f, i) => f.name === files[i]!.name && f.size === files[i]!.size);
}

/**
 * The current postings file in a local copy of the curated zone, when the manifest holds for every
 * table and the file has the columns `reads`.
 */
export function currentPostingsFile(curatedDir: string, manifest: CurrentManifest | null, reads: readonly string[] = []): string | null {
  if (!manifest) return null;
  if (!reads.every((c) => manifest.postingsColumns.includes(c))) return null;
  for (const t of CURATED_TABLES) if (!stateMatches(manifest.tables[t], dayFilesOf(curatedDir, t))) return null;
  const file = path.join(curatedDir, '_postings.parquet');
  return existsSync(file) ? file : null;
}
