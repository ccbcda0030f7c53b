/**
 * Progress of a run: a live line on a terminal (ora on stderr), periodic structured log lines
 * otherwise, and the final summary line.
 */
import { startProgress as startCoreProgress, type Progress } from '../../core/progress.js';
import type { Logger } from '../../core/logger.js';
import type { WriterStats } from './stats.js';

export type { Progress } from '../../core/progress.js';

function line(stats: WriterStats): string {
  const s = stats.summary();
  const failing = stats.lakeFailing ? ` · lake failing: ${stats.lakeFailing}` : '';
  return `consume-batch: ${s.records.toLocaleString('en-US')} records in · ${s.objects} objects written · lag ${stats.totalLag().toLocaleString('en-US')} · ${s.recordsPerSecond.toLocaleString('en-US')} records/s${failing}`;
}

export function startProgress(stats: WriterStats, logger: Logger, tty: boolean): Progress {
  return startCoreProgress(
    () => line(stats),
    (now) => ({ ...stats.summary(now), lag: stats.totalLag(), lakeFailing: stats.lakeFailing }),
    logger,
    tty,
  );
}

export function summaryLine(stats: WriterStats): string {
  const s = stats.summary();
  const extra = [s.adopted ? `${s.adopted} adopted` : '', s.deadLettered ? `${s.deadLettered} dead-lettered` : '', s.markers ? `${s.markers} day markers` : '']
    .filter(Boolean)
    .join(', ');
  return `consume-batch: ${s.records} records, ${s.objects} objects${extra ? ` (${extra})` : ''}, ${s.seconds} s, ${s.recordsPerSecond} records/s\n`;
}
