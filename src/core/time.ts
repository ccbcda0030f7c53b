/** Time helpers. Everything in pinpipe is UTC. */

const SQL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Parse `2020-08-28 03:52:47` (UTC) or an ISO 8601 date-time. Returns epoch milliseconds, or null
 * when the text is not one of those forms or names an impossible date.
 */
export function parseDateTime(text: string): number | null {
  const s = text.trim();
  let m = SQL_DATETIME.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, se, frac, zone] = m;
    const ms = frac ? Math.floor(Number(frac.slice(1, 4).padEnd(3, '0'))) : 0;
    let t = Date.UTC(+y, +mo - 1, +d, +h, +mi, +se, ms);
    const check = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +se));
    if (check.getUTCFullYear() !== +y || check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d || +h > 23 || +mi > 59 || +se > 59) return null;
    if (zone && zone !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
    }
    return t;
  }
  m = DATE_ONLY.exec(s);
  if (m) {
    const t = Date.UTC(+m[1], +m[2] - 1, +m[3]);
    const d = new Date(t);
    return d.getUTCDate() === +m[3] && d.getUTCMonth() === +m[2] - 1 ? t : null;
  }
  return null;
}

/** YYYY-MM-DD of an epoch-ms instant (UTC). */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Hour 00–23 of an epoch-ms instant (UTC), two digits. */
export function hourOf(ms: number): string {
  return new Date(ms).toISOString().slice(11, 13);
}

/** Start of the minute containing ms. */
export function minuteOf(ms: number): number {
  return ms - (((ms % 60_000) + 60_000) % 60_000);
}

export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

/** Parse YYYY-MM-DD strictly (for --date, --from, --to). */
export function parseDay(text: string): number | null {
  const m = DATE_ONLY.exec(text);
  if (!m) return null;
  return parseDateTime(text);
}

export function addDays(day: string, n: number): string {
  return dayOf(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000);
}

/** Parse a duration like `500ms`, `10s`, `5m`, `2h`, `7d` or a bare number of milliseconds. */
export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : null;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!);
}
