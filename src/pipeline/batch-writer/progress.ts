/**
 * Progress of a run: a live line on a terminal (ora on stderr), periodic structured log lines
 * otherwise, and the final summary line.
 */
import ora, { type Ora } from 'ora';
import type { Logger } from '../../core/logger.js';
import type { WriterStats } from './stats.js';

export interface Progress {
  tick(): void;
  stop(): void;
}

const LOG_EVERY_MS = 10_000;

function line(stats: WriterStats): string {
  const s = stats.summary();
  const failing = stats.lakeFailing ? ` · lake failing: ${stats.lakeFailing}` : '';
  return `consume-batch: ${s.records.toLocaleString('en-US')} records in · ${s.objects} objects written · lag ${stats.totalLag().toLocaleString('en-US')} · ${s.recordsPerSecond.toLocaleString('en-US')} records/s${failing}`;
}

export function startProgress(stats: WriterStats, logger: Logger, tty: boolean): Progress {
  // ora needs the terminal width to redraw; a pseudo-terminal that reports none gets log lines
  if (tty && (process.stderr.columns ?? 0) > 0) {
    const spinner: Ora = ora({ text: line(stats), stream: process.stderr, discardStdin: false }).start();
    return {
      tick: () => {
        spinner.text = line(stats);
      },
      stop: () => spinner.stop(),
    };
  }
  let last = Date.now();
  return {
    tick: () => {
      const now = Date.now();
      if (now - last < LOG_EVERY_MS) return;
      last = now;
      logger.info('progress', { ...stats.summary(now), lag: stats.totalLag(), lakeFailing: stats.lakeFailing });
    },
    stop: () => undefined,
  };
}

export function summaryLine(stats: WriterStats): string {
  const s = stats.summary();
  const extra = [s.adopted ? `${s.adopted} adopted` : '', s.deadLettered ? `${s.deadLettered} dead-lettered` : '', s.markers ? `${s.markers} day markers` : ''].filter(Boolean).join(', ');
  return `consume-batch: ${s.records} records, ${s.objects} objects${extra ? ` (${extra})` : ''}, ${s.seconds} s, ${s.recordsPerSecond} records/s\n`;
}
