/**
 * Which days batch-run processes, which raw chunks each day reads, and the listing of the raw zone
 * (days, completion markers, and a fingerprint of each day's chunks: raw objects are immutable and
 * keyed deterministically, so a new key is late data).
 */
import { createHash } from 'node:crypto';
import { PinpipeError } from '../../core/errors.js';
import { TOPICS, type RecordType } from '../../core/records.js';
import { addDays, parseDay } from '../../core/time.js';
import type { Lake, LakeObject } from '../../connectors/lake/types.js';

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
  if (out.date && (out.from || out.to))
    throw new PinpipeError('USAGE', '--date cannot be combined with --from/--to: give one day with --date or a range with --from and --to');
  if (out.from && out.to && out.from > out.to) throw new PinpipeError('USAGE', `--from ${out.from} is after --to ${out.to}: the range must run forward`);
  return out;
}

export interface DayChunks {
  /** raw chunk objects of the day (all topics) */
  objects: number;
  /** hash of their keys and sizes */
  fingerprint: string;
}

export interface RawDays {
  /** days with any raw object, sorted */
  days: string[];
  /** days with a _SUCCESS marker, by topic */
  complete: Record<RecordType, Set<string>>;
  /** the chunks of each day */
  chunks: Map<string, DayChunks>;
}

const DAY_KEY = /^raw\/([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/(.*)$/;

function collect(
  objects: LakeObject[],
  out: { all: Set<string>; complete: Record<RecordType, Set<string>>; keys: Map<string, string[]> },
  topic: RecordType,
): void {
  for (const o of objects) {
    const m = DAY_KEY.exec(o.key);
    if (!m) continue;
    if (m[3] === '_SUCCESS') out.complete[topic].add(m[2]!);
    else if (m[3]!.endsWith('.ndjson.gz')) {
      out.all.add(m[2]!);
      const list = out.keys.get(m[2]!) ?? [];
      list.push(`${o.key} ${o.size}`);
      out.keys.set(m[2]!, list);
    }
  }
}

function finish(all: Set<string>, complete: Record<RecordType, Set<string>>, keys: Map<string, string[]>): RawDays {
  const chunks = new Map<string, DayChunks>();
  for (const [day, list] of keys)
    chunks.set(day, { objects: list.length, fingerprint: createHash('sha256').update(list.sort().join('\n')).digest('hex').slice(0, 16) });
  return { days: [...all].sort(), complete, chunks };
}

/** The whole raw zone (or only the given days: one listing per topic and day). */
export async function listRawDays(lake: Lake, only?: string[]): Promise<RawDays> {
  const acc = {
    all: new Set<string>(),
    complete: { pin: new Set<string>(), geo: new Set<string>(), user: new Set<string>() },
    keys: new Map<string, string[]>(),
  };
  for (const topic of TOPICS) {
    if (only) for (const day of only) collect(await lake.list(`raw/${topic}/dt=${day}/`), acc, topic);
    else collect(await lake.list(`raw/${topic}/`), acc, topic);
  }
  return finish(acc.all, acc.complete, acc.keys);
}

/** the topics whose marker a day lacks */
export function missingMarkers(raw: RawDays, day: string): RecordType[] {
  return TOPICS.filter((t) => !raw.complete[t].has(day));
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
