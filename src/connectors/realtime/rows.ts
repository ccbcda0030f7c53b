/**
 * WindowRow ↔ the REALTIME table rows of tables.ts (pure functions shared by both realtime
 * stores): checks a row's metric, minute and value columns, and canonicalizes the minute.
 */
import { PinpipeError } from '../../core/errors.js';
import { REALTIME, type RealtimeId, type Row, type TableSpec } from '../../core/tables.js';
import { toIsoTimestamp } from '../store/values.js';
import type { Checkpoint, WindowRow } from './types.js';

export interface MetricShape {
  table: TableSpec;
  /** the key column (category, country, age_group), or null for R4/R5 */
  keyColumn: string | null;
  valueColumns: string[];
}

const SHAPES = new Map<string, MetricShape>(
  Object.entries(REALTIME).map(([id, table]) => {
    const keyColumn = table.key!.length > 1 ? table.key![1]! : null;
    const valueColumns = table.columns.map(([c]) => c).filter((c) => c !== 'minute' && c !== 'final' && c !== keyColumn);
    return [id, { table, keyColumn, valueColumns }];
  }),
);

const bad = (msg: string) => new PinpipeError('INTERNAL', `realtime window row: ${msg}`);

export function metricShape(metric: string): MetricShape {
  const s = SHAPES.get(metric);
  if (!s) throw bad(`unknown metric ${JSON.stringify(metric)} (allowed: ${[...SHAPES.keys()].join(', ')})`);
  return s;
}

/** Canonical ISO minute (`2026-11-27T10:05:00.000Z`); refuses a time not aligned to the minute. */
export function canonicalMinute(minute: string | number): { iso: string; ms: number } {
  const iso = toIsoTimestamp(minute);
  const ms = iso ? Date.parse(iso) : NaN;
  if (!iso || ms % 60_000 !== 0) throw bad(`minute ${JSON.stringify(minute)} is not a UTC date-time aligned to the minute`);
  return { iso, ms };
}

/** A bound of a read range (ISO string; need not be aligned to the minute). */
export function rangeBound(t: string): { iso: string; ms: number } {
  const iso = toIsoTimestamp(t);
  if (!iso) throw bad(`range bound ${JSON.stringify(t)} is not a date-time`);
  return { iso, ms: Date.parse(iso) };
}

/** A checked, canonical copy of a window row (values restricted to the metric's columns, absent → null). */
export function checkWindowRow(row: WindowRow): WindowRow {
  const shape = metricShape(row.metric);
  for (const k of Object.keys(row.values ?? {})) {
    if (!shape.valueColumns.includes(k)) throw bad(`${row.metric} has no value column ${JSON.stringify(k)} (columns: ${shape.valueColumns.join(', ')})`);
  }
  const values: Record<string, number | null> = {};
  for (const c of shape.valueColumns) {
    const v = row.values?.[c];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v))) throw bad(`${row.metric}.${c} must be a finite number or null, got ${JSON.stringify(v)}`);
    values[c] = v ?? null;
  }
  if (typeof row.final !== 'boolean') throw bad(`final must be a boolean`);
  const key = row.key ?? '';
  if (typeof key !== 'string') throw bad(`key must be a string`);
  if (!shape.keyColumn && key !== '') throw bad(`${row.metric} has no key column, so key must be ''`);
  return { metric: row.metric, minute: canonicalMinute(row.minute).iso, key, values, final: row.final };
}

export function toTableRow(row: WindowRow): Row {
  const shape = metricShape(row.metric);
  const out: Row = { minute: row.minute };
  if (shape.keyColumn) out[shape.keyColumn] = row.key;
  for (const c of shape.valueColumns) out[c] = row.values[c] ?? null;
  out.final = row.final;
  return out;
}

export function fromTableRow(metric: RealtimeId, row: Row): WindowRow {
  const shape = metricShape(metric);
  const values: Record<string, number | null> = {};
  for (const c of shape.valueColumns) values[c] = (row[c] as number | null) ?? null;
  return { metric, minute: String(row.minute), key: shape.keyColumn ? String(row[shape.keyColumn] ?? '') : '', values, final: row.final === true };
}

export function checkCheckpoint(cp: Checkpoint): Checkpoint {
  const ok = cp && typeof cp === 'object' && typeof cp.offsets === 'object' && typeof cp.counters === 'object' && typeof cp.watermark === 'number';
  if (!ok) throw new PinpipeError('INTERNAL', 'realtime checkpoint must be { offsets: {...}, watermark: number, counters: {...} }');
  return cp;
}

export function checkGroup(group: string): string {
  if (typeof group !== 'string' || group.length === 0 || group.length > 255) throw new PinpipeError('INTERNAL', 'realtime checkpoint group must be a non-empty string of at most 255 characters');
  return group;
}

/** Order of read(): by minute, then key. */
export const byMinuteKey = (a: WindowRow, b: WindowRow): number => (a.minute < b.minute ? -1 : a.minute > b.minute ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
