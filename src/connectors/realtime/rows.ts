/**
 * WindowRow ↔ the rows of a realtime metric's table (pure functions shared by both realtime
 * stores): checks a row's metric, minute and value columns, and canonicalizes the minute.
 */
import { PinpipeError } from '../../core/errors.js';
import type { Row } from '../../core/tables.js';
import { toIsoTimestamp } from '../store/values.js';
import type { Checkpoint, RealtimeShape, WindowRow } from './types.js';

const bad = (msg: string) => new PinpipeError('INTERNAL', `realtime window row: ${msg}`);

/** The metrics a realtime store knows (given to connect()). */
export class Shapes {
  private readonly byId = new Map<string, RealtimeShape>();

  set(metrics: RealtimeShape[]): void {
    this.byId.clear();
    for (const m of metrics) this.byId.set(m.id, m);
  }

  get all(): RealtimeShape[] {
    return [...this.byId.values()];
  }

  get(metric: string): RealtimeShape {
    const s = this.byId.get(metric);
    if (!s) throw bad(`unknown metric ${JSON.stringify(metric)} (known: ${[...this.byId.keys()].join(', ') || 'none; call connect(metrics) first'})`);
    return s;
  }
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

/** the key texts of a stored key (see WindowRow.key) */
export function keyTexts(shape: RealtimeShape, key: string): string[] {
  const n = shape.keyColumns.length;
  if (n === 0) {
    if (key !== '') throw bad(`${shape.id} has no key column, so key must be ''`);
    return [];
  }
  if (n === 1) return [key];
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.length !== n || parsed.some((x) => typeof x !== 'string'))
    throw bad(`${shape.id} has ${n} key columns: key must be a JSON array of ${n} texts, got ${JSON.stringify(key)}`);
  return parsed as string[];
}

/** A checked, canonical copy of a window row (values restricted to the metric's columns, absent → null). */
export function checkWindowRow(shape: RealtimeShape, row: WindowRow): WindowRow {
  for (const k of Object.keys(row.values ?? {})) {
    if (!shape.valueColumns.includes(k)) throw bad(`${row.metric} has no value column ${JSON.stringify(k)} (columns: ${shape.valueColumns.join(', ')})`);
  }
  const values: Record<string, number | null> = {};
  for (const c of shape.valueColumns) {
    const v = row.values?.[c];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v)))
      throw bad(`${row.metric}.${c} must be a finite number or null, got ${JSON.stringify(v)}`);
    values[c] = v ?? null;
  }
  if (typeof row.final !== 'boolean') throw bad(`final must be a boolean`);
  const key = row.key ?? '';
  if (typeof key !== 'string') throw bad(`key must be a string`);
  keyTexts(shape, key);
  return { metric: row.metric, minute: canonicalMinute(row.minute).iso, key, values, final: row.final };
}

export function toTableRow(shape: RealtimeShape, row: WindowRow): Row {
  const out: Row = { minute: row.minute };
  const keys = keyTexts(shape, row.key);
  shape.keyColumns.forEach((c, i) => (out[c] = keys[i]!));
  for (const c of shape.valueColumns) out[c] = row.values[c] ?? null;
  out.final = row.final;
  return out;
}

export function fromTableRow(shape: RealtimeShape, row: Row): WindowRow {
  const values: Record<string, number | null> = {};
  for (const c of shape.valueColumns) values[c] = (row[c] as number | null) ?? null;
  const texts = shape.keyColumns.map((c) => String(row[c] ?? ''));
  const key = texts.length === 0 ? '' : texts.length === 1 ? texts[0]! : JSON.stringify(texts);
  return { metric: shape.id, minute: String(row.minute), key, values, final: row.final === true };
}

export function checkCheckpoint(cp: Checkpoint): Checkpoint {
  const ok = cp && typeof cp === 'object' && typeof cp.offsets === 'object' && typeof cp.counters === 'object' && typeof cp.watermark === 'number';
  if (!ok) throw new PinpipeError('INTERNAL', 'realtime checkpoint must be { offsets: {...}, watermark: number, counters: {...} }');
  return cp;
}

export function checkGroup(group: string): string {
  if (typeof group !== 'string' || group.length === 0 || group.length > 255)
    throw new PinpipeError('INTERNAL', 'realtime checkpoint group must be a non-empty string of at most 255 characters');
  return group;
}

/** Order of read(): by minute, then key. */
export const byMinuteKey = (a: WindowRow, b: WindowRow): number =>
  a.minute < b.minute ? -1 : a.minute > b.minute ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
