/**
 * Progress of a long-running role: a live ora line on a terminal (stderr), a structured log line
 * every 10 s otherwise. ora needs the terminal width to redraw; a pseudo-terminal that reports none
 * gets log lines.
 */
import type { Ora } from 'ora';
import type { Logger } from './logger.js';

export interface Progress {
  tick(): void;
  stop(): void;
}

const LOG_EVERY_MS = 10_000;

/** An ora spinner on stderr, not started (ora loaded only here: ~40 ms of start-up that commands without a terminal do not pay). */
export async function createSpinner(text: string): Promise<Ora> {
  const { default: ora } = await import('ora');
  return ora({ text, stream: process.stderr, discardStdin: false });
}

export function startProgress(text: () => string, fields: (now: number) => Record<string, unknown>, logger: Logger, tty: boolean): Progress {
  if (tty && (process.stderr.columns ?? 0) > 0) {
    let spinner: Ora | undefined;
    let stopped = false;
    createSpinner(text())
      .then((s) => {
        if (!stopped) spinner = s.start();
      })
      .catch((e: unknown) => logger.debug('no progress line', { error: String(e) }));
    return {
      tick: () => {
        if (spinner) spinner.text = text();
      },
      stop: () => {
        stopped = true;
        spinner?.stop();
      },
    };
  }
  let last = Date.now();
  return {
    tick: () => {
      const now = Date.now();
      if (now - last < LOG_EVERY_MS) return;
      last = now;
      logger.info('progress', fields(now));
    },
    stop: () => undefined,
  };
}
