/**
 * What a batch-run does and why (pure): the days to clean and curate, the days skipped, the
 * realtime metrics whose windows a curated day lacks (new or changed definitions), and the
 * historical metrics to compute. `batch-run --dry-run` prints it; the run's summary says the same.
 *
 * A day is processed when it is complete (a _SUCCESS marker for pin, geo and user) and
 *   - new: never processed;
 *   - completed: processed before it was complete (e.g. by `--date` while the day was running);
 *   - late data: its raw chunks changed since it was processed (new keys: late records);
 *   - retry: its last run failed or was cut off;
 *   - forced: named by --date or --from/--to.
 * A day is skipped when it is incomplete (pending) or done with the same chunks.
 */
import type { HistoricalMetric, MetricSet, RealtimeMetric } from '../../metrics/registry.js';
import { missingMarkers, type DaySelection, type RawDays } from './days.js';

export type DayReason = 'new' | 'completed' | 'late data' | 'retry' | 'forced' | 'recorded without a fingerprint';

export interface LedgerDay {
  status: string;
  complete: boolean | null;
  fingerprint: string | null;
}

export interface PlannedDay {
  day: string;
  reason: DayReason;
  /** every topic had its _SUCCESS marker when planned */
  complete: boolean;
  objects: number;
  fingerprint: string | null;
}

export interface Plan {
  days: PlannedDay[];
  skipped: { day: string; reason: string }[];
  /** realtime metric windows for days already curated (no re-cleaning of the curated zone) */
  backfill: { day: string; metrics: RealtimeMetric[] }[];
  historical: { metric: HistoricalMetric; reason: string }[];
  /** per metric that is computed, why (for the summary) */
  metrics: { id: string; kind: 'historical' | 'realtime'; reason: string; days?: string[] }[];
}

export interface PlanInput {
  sel: DaySelection & { metric?: string };
  raw: RawDays;
  ledger: Map<string, LedgerDay>;
  /** metric id → day ('' for historical) → the definition hash computed */
  runs: Map<string, Map<string, string>>;
  metrics: MetricSet;
}

export function planBatch(input: PlanInput): Plan {
  const { sel, raw, ledger, runs, metrics } = input;
  const plan: Plan = { days: [], skipped: [], backfill: [], historical: [], metrics: [] };
  const chunks = (day: string) => raw.chunks.get(day) ?? { objects: 0, fingerprint: null };
  const planned = (day: string, reason: DayReason): PlannedDay => ({
    day,
    reason,
    complete: missingMarkers(raw, day).length === 0,
    objects: chunks(day).objects,
    fingerprint: chunks(day).fingerprint,
  });
  const inRange = (d: string) => (!sel.from || d >= sel.from) && (!sel.to || d <= sel.to);

  if (sel.metric) {
    // one metric, forced: its historical result, or its windows on the days of the range with raw data
    const m = metrics.get(sel.metric);
    if (m.kind === 'historical') {
      plan.historical.push({ metric: m, reason: 'forced' });
      plan.metrics.push({ id: m.id, kind: m.kind, reason: 'forced' });
    } else {
      const days = sel.date ? raw.days.filter((d) => d === sel.date) : raw.days.filter(inRange);
      for (const day of days) plan.backfill.push({ day, metrics: [m] });
      plan.metrics.push({ id: m.id, kind: m.kind, reason: 'forced', days });
    }
    return plan;
  }

  if (sel.date) plan.days.push(planned(sel.date, 'forced'));
  else if (sel.from || sel.to) for (const d of raw.days.filter(inRange)) plan.days.push(planned(d, 'forced'));
  else {
    for (const day of raw.days) {
      const missing = missingMarkers(raw, day);
      const l = ledger.get(day);
      if (missing.length) {
        plan.skipped.push({ day, reason: `incomplete: no _SUCCESS marker for ${missing.join(', ')}${l?.status === 'done' ? ' (processed as partial)' : ''}` });
        continue;
      }
      if (!l) plan.days.push(planned(day, 'new'));
      else if (l.status !== 'done') plan.days.push(planned(day, 'retry'));
      else if (l.complete === null) plan.days.push(planned(day, 'recorded without a fingerprint'));
      else if (!l.complete) plan.days.push(planned(day, 'completed'));
      else if (l.fingerprint !== chunks(day).fingerprint) plan.days.push(planned(day, 'late data'));
      else plan.skipped.push({ day, reason: 'done' });
    }
  }

  const anyCurated = plan.days.length > 0 || [...ledger.values()].some((l) => l.status === 'done');
  if (!anyCurated) return plan;
  const forced = Boolean(sel.date || sel.from || sel.to);
  // realtime metrics (default run): windows for every processed day of the raw zone whose stored hash differs
  const full = new Set(plan.days.map((d) => d.day));
  const curated = raw.days.filter((d) => !full.has(d) && ledger.get(d)?.status === 'done');
  const byDay = new Map<string, RealtimeMetric[]>();
  for (const m of forced ? [] : metrics.realtime) {
    const have = runs.get(m.id);
    const days = curated.filter((d) => have?.get(d) !== m.hash);
    if (!days.length) continue;
    const changed = [...(have?.values() ?? [])].some((h) => h !== m.hash);
    plan.metrics.push({ id: m.id, kind: 'realtime', reason: changed ? 'changed definition' : 'new metric', days });
    for (const d of days) byDay.set(d, [...(byDay.get(d) ?? []), m]);
  }
  plan.backfill = [...byDay].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, ms]) => ({ day, metrics: ms }));

  // historical metrics: all of them when days change, else the new or changed ones
  for (const m of metrics.historical) {
    const h = runs.get(m.id)?.get('');
    const reason = h === undefined ? 'new metric' : h !== m.hash ? 'changed definition' : plan.days.length ? 'curated days changed' : null;
    if (!reason) continue;
    plan.historical.push({ metric: m, reason });
    if (reason !== 'curated days changed') plan.metrics.push({ id: m.id, kind: 'historical', reason });
  }
  return plan;
}
