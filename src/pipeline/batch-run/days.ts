/**
 * Which days batch-run processes, and which raw chunks each day reads.
 * - default: every day with `raw/<topic>/dt=D/_SUCCESS` for all of pin, geo, user that the
 *   ledger does not mark `done`;
 * - `--date D`: that day, complete or not;
 * - `--from D1 --to D2`: every day in the range that has raw data (either bound may be left out).
 */
import { PinpipeError } from '../../core/errors.js';
import { TOPICS, type RecordType } from '../../core/records.js';
import { addDays, parseDay } from '../../core/time.js';
import type { Lake } from '../../connectors/lake/types.js';

export interface DaySelection {
  date?: string;
  from?: string;
  to?: string;
}

export function checkDayFlag(flag: string, value: unknown): string {
  if (typeof value !== 'string' || parseDay(value) === null) {
    throw new PinpipeError('USAGE', `${flag} must be a calendar day YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validate the flags; returns the normalized selection. */
export function checkSelection(sel: DaySelection): DaySelection {
  const out: DaySelection = {};
  if (sel.date !== undefined) out.date = checkDayFlag('--date', sel.date);
  if (sel.from !== undefined) out.from = checkDayFlag('--from', sel.from);
  if (sel.to !== undefined) out.to = checkDayFlag('--to', sel.to);
  if (out.date && (out.from || out.to)) throw new PinpipeError('USAGE', '--date cannot be combined with --from/--to: give one day with --date or a range with --from and --to');
  if (out.from && out.to && out.from > out.to) throw new PinpipeError('USAGE', `--from ${out.from} is after --to ${out.to}: the range must run forward`);
  return out;
}

export interface RawDays {
  /** days with any raw object, sorted */
  days: string[];
  /** days with a _SUCCESS marker, by topic */
  complete: Record<RecordType, Set<string>>;
}

const DAY_KEY = /^raw\/[^/]+\/dt=(\d{4}-\d{2}-\d{2})\/(.*)$/;

export async function listRawDays(lake: Lake): Promise<RawDays> {
  const all = new Set<string>();
  const complete = { pin: new Set<string>(), geo: new Set<string>(), user: new Set<string>() };
  for (const topic of TOPICS) {
    for (const o of await lake.list(`raw/${topic}/`)) {
      const m = DAY_KEY.exec(o.key);
      if (!m) continue;
      if (m[2] === '_SUCCESS') complete[topic].add(m[1]!);
      else if (m[2]!.endsWith('.ndjson.gz')) all.add(m[1]!);
    }
  }
  return { days: [...all].sort(), complete };
}

/** The days to process, sorted. `doneDays`: days the ledger marks done. */
export function selectDays(sel: DaySelection, raw: RawDays, doneDays: Set<string>): string[] {
  if (sel.date) return [sel.date];
  if (sel.from || sel.to) return raw.days.filter((d) => (!sel.from || d >= sel.from) && (!sel.to || d <= sel.to));
  const marked = [...raw.complete.pin].filter((d) => raw.complete.geo.has(d) && raw.complete.user.has(d));
  return marked.filter((d) => !doneDays.has(d)).sort();
}

/**
 * Hour partitions of the neighbour days that a day's R2/R3 joins and event_id de-duplication
 * look into: the last ⌈joinWindow/1h⌉ hours (at least one) of the day before and the first
 * as many hours of the day after.
 */
export function marginPrefixes(topic: RecordType, day: string, joinWindowMs: number): string[] {
  const hours = Math.min(24, Math.max(1, Math.ceil(joinWindowMs / 3_600_000)));
  const out: string[] = [];
  const before = addDays(day, -1);
  const after = addDays(day, 1);
  for (let h = 24 - hours; h < 24; h++) out.push(`raw/${topic}/dt=${before}/hr=${String(h).padStart(2, '0')}/`);
  for (let h = 0; h < hours; h++) out.push(`raw/${topic}/dt=${after}/hr=${String(h).padStart(2, '0')}/`);
  return out;
}
