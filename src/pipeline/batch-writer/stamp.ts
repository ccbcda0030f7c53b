/**
 * Per-record work of the batch writer, kept to the minimum: find the record's `ingested_at`
 * (without a full JSON.parse when the API put it last, which it does) and build the NDJSON line
 * (the log value plus `_partition` and `_offset`) by string concatenation.
 */
import { parseDateTime } from '../../core/time.js';

export interface Stamp {
  /** ingested_at as epoch ms */
  ms: number;
  /** YYYY-MM-DD (UTC) */
  day: string;
  /** 00–23 (UTC) */
  hour: string;
}

export type Stamped = { ok: true; stamp: Stamp; line: string } | { ok: false; reason: string };

const HOUR_MS = 3_600_000;
/** `"ingested_at": "<text>" }` as the very end of the value: then it is the top-level member */
const TAIL = /"ingested_at"\s*:\s*"([^"\\]*)"\s*\}\s*$/y;

let cachedHourStart = Number.NaN;
let cachedDay = '';
let cachedHour = '';

/** Day and hour (UTC) of an instant; cached per hour because consecutive records share it. */
export function stampOf(ms: number): Stamp {
  const hourStart = Math.floor(ms / HOUR_MS) * HOUR_MS;
  if (hourStart !== cachedHourStart) {
    const iso = new Date(hourStart).toISOString();
    cachedHourStart = hourStart;
    cachedDay = iso.slice(0, 10);
    cachedHour = iso.slice(11, 13);
  }
  return { ms, day: cachedDay, hour: cachedHour };
}

function suffix(partition: number, offset: number): string {
  return `,"_partition":${partition},"_offset":${offset}}`;
}

/**
 * Classify one log value: its stamp and raw-zone line, or why it cannot go to the raw zone
 * (then it goes to the dead-letter topic). Pure and deterministic: the same value always gives
 * the same answer, which the exactly-once chunking relies on.
 */
export function stampRecord(value: string, partition: number, offset: number): Stamped {
  // (includes() is several times cheaper than a /[\r\n]/ test on values of a few hundred characters)
  if (value.charCodeAt(0) === 123 /* { */ && !value.includes('\n') && !value.includes('\r')) {
    const i = value.lastIndexOf('"ingested_at"');
    if (i > 0) {
      TAIL.lastIndex = i;
      const m = TAIL.exec(value);
      if (m) {
        const ms = parseDateTime(m[1]!);
        if (ms === null) return { ok: false, reason: `ingested_at is not a date-time: ${JSON.stringify(m[1]!.slice(0, 40))}` };
        const close = value.lastIndexOf('}');
        return { ok: true, stamp: stampOf(ms), line: value.slice(0, close) + suffix(partition, offset) };
      }
    }
  }
  return stampSlow(value, partition, offset);
}

function stampSlow(value: string, partition: number, offset: number): Stamped {
  let obj: unknown;
  try {
    obj = JSON.parse(value);
  } catch {
    return { ok: false, reason: 'value is not valid JSON' };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { ok: false, reason: 'value is not a JSON object' };
  const at = (obj as Record<string, unknown>).ingested_at;
  if (typeof at !== 'string') return { ok: false, reason: at === undefined ? 'ingested_at is missing' : 'ingested_at is not a string' };
  const ms = parseDateTime(at);
  if (ms === null) return { ok: false, reason: `ingested_at is not a date-time: ${JSON.stringify(at.slice(0, 40))}` };
  const text = JSON.stringify(obj);
  return { ok: true, stamp: stampOf(ms), line: text.slice(0, -1) + suffix(partition, offset) };
}
