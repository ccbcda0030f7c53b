/**
 * The pure parts of `pinpipe status`: lag per partition, the state of each day (from the ledger
 * and the raw zone), and the verdict (healthy, or the problems that make `status` exit 1).
 */
import type { Row } from '../core/tables.js';
import { TOPICS } from '../core/records.js';
import type { RawDays } from '../pipeline/batch-run/days.js';
import type { BatchRun, DayState, GroupLag, LedgerDay, PartitionLag, StatusReport } from './types.js';

/** One topic's partitions: end offsets and the group's positions (null or negative: none). */
export function partitionLags(topic: string, ends: number[], current: (number | null | undefined)[]): PartitionLag[] {
  return ends.map((end, partition) => {
    const c = current[partition];
    const pos = c === null || c === undefined || c < 0 ? null : c;
    return { topic, partition, current: pos, end, lag: Math.max(0, end - (pos ?? 0)) };
  });
}

export function groupLag(group: string, role: GroupLag['role'], position: GroupLag['position'], partitions: PartitionLag[]): GroupLag {
  return { group, role, position, lag: partitions.reduce((a, p) => a + p.lag, 0), partitions };
}

const str = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));

/**
 * Every day of the raw zone or the ledger, newest first: done (processed when complete, chunks
 * unchanged), partial (done while incomplete), pending (not processed yet, or late data since),
 * running, failed. `raw` is null when the lake could not be listed (only the ledger is used).
 */
export function classifyDays(ledger: Row[], raw: RawDays | null): LedgerDay[] {
  const byDay = new Map(ledger.map((r) => [String(r.day), r]));
  const days = new Set([...byDay.keys(), ...(raw?.days ?? [])]);
  const out: LedgerDay[] = [];
  for (const day of [...days].sort().reverse()) {
    const r = byDay.get(day);
    const missing = raw ? TOPICS.filter((t) => !raw.complete[t].has(day)) : [];
    const incomplete = missing.length ? `incomplete (no _SUCCESS: ${missing.join(', ')})` : null;
    let state: DayState;
    let note: string | null = null;
    const status = str(r?.status);
    if (!r) {
      state = 'pending';
      note = incomplete ?? 'new';
    } else if (status === 'failed' || status === 'running') state = status;
    else {
      const fingerprint = raw?.chunks.get(day)?.fingerprint ?? null;
      const recorded = str(r.raw_fingerprint);
      if (fingerprint && recorded && fingerprint !== recorded && !incomplete) {
        state = 'pending';
        note = 'late data';
      } else if (r.complete === false) {
        state = raw && !incomplete ? 'pending' : 'partial';
        note = state === 'pending' ? 'completed since its run' : incomplete;
      } else state = 'done';
    }
    out.push({
      day,
      state,
      note,
      complete: r ? (r.complete === null || r.complete === undefined ? null : Boolean(r.complete)) : null,
      raw_records: num(r?.raw_records),
      curated_rows: num(r?.curated_rows),
      started_at: str(r?.started_at),
      finished_at: str(r?.finished_at),
      message: str(r?.message),
    });
  }
  return out;
}

export function countDays(days: LedgerDay[]): Record<DayState, number> {
  const counts: Record<DayState, number> = { done: 0, partial: 0, pending: 0, running: 0, failed: 0 };
  for (const d of days) counts[d.state]++;
  return counts;
}

/**
 * Why the pipeline is not healthy (empty: healthy): a group behind by more than max_lag records;
 * the stream's watermark older than max_watermark_age while it has records to read; a failed day;
 * a source that could not be read.
 */
export function problemsOf(r: Omit<StatusReport, 'healthy' | 'problems'>): string[] {
  const out: string[] = [];
  const { max_lag: maxLag, max_watermark_age_s: maxAge } = r.thresholds;
  for (const g of r.groups) {
    if (g.lag > maxLag) out.push(`${g.role} (group ${g.group}) is ${g.lag} records behind (more than --max-lag ${maxLag})`);
  }
  const stream = r.groups.find((g) => g.role === 'consume-stream');
  const age = r.stream.watermark_age_s;
  if (stream && stream.lag > 0 && age !== null && age > maxAge) {
    out.push(`consume-stream's watermark is ${Math.round(age)} s old with ${stream.lag} records to read (more than --max-watermark-age ${maxAge} s)`);
  }
  const failed = r.ledger.days.filter((d) => d.state === 'failed');
  if (failed.length) out.push(`batch-run failed for ${failed.map((d) => d.day).join(', ')}${failed[0]!.message ? `: ${failed[0]!.message}` : ''}`);
  for (const e of r.errors) out.push(`cannot read ${e.source}: ${e.message}`);
  return out;
}

/** a row of the batch history as reported */
export function batchRun(r: Row): BatchRun {
  return { started_at: String(r.started_at), day: String(r.day), reason: str(r.reason), status: String(r.status ?? ''), finished_at: str(r.finished_at), seconds: num(r.seconds), raw_records: num(r.raw_records), message: str(r.message) };
}
