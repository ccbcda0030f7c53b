/**
 * How the pinpipe process ends (bin/pinpipe): its output is never cut short nor a crash when its
 * reader goes away, and a finished command does not leave the process hanging on a forgotten
 * handle or a client still stopping in the background (core/shutdown.ts).
 */
import { createLogger } from './core/logger.js';
import { stillRunning } from './core/shutdown.js';

/** How long the process may stay up once the command is done (open sockets, timers) before it exits anyway. */
const EXIT_GRACE_MS = 5_000;

/** stdout and stderr still hold output for a reader (a pipe to a slow reader, such as a pager) */
const outputPending = (): boolean => process.stdout.writableLength > 0 || process.stderr.writableLength > 0;

/** once stdout and stderr have handed over everything written so far */
const outputFlushed = (): Promise<unknown> => Promise.all([process.stdout, process.stderr].map((s) => new Promise((r) => s.write('', r))));

/**
 * A reader of the output that went away (`pinpipe query … | head`) ends the process quietly with
 * the exit code so far, as command-line tools do, instead of an EPIPE stack trace.
 */
export function guardOutput(): void {
  for (const s of [process.stdout, process.stderr])
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(process.exitCode ?? 0);
    });
}

/**
 * The end of bin/pinpipe: the command is done (flushed, committed, closed), so the process ends
 * with its exit code. Once its output is written, if a client did not stop within its bound
 * (core/shutdown.ts: a Kafka consumer held in a rebalance); else when nothing is left open, or
 * after EXIT_GRACE_MS naming what still held it, instead of hanging on a forgotten handle. Output
 * still flowing to a slow reader is never cut short.
 */
export function exitWhenDone(code: number): void {
  process.exitCode = code;
  const logger = createLogger({ component: 'pinpipe' });
  const left = stillRunning();
  if (left.length) {
    logger.warn('exiting without waiting for what did not finish in time', { unfinished: left });
    void outputFlushed().then(() => process.exit(code));
    return;
  }
  const later = (): void => {
    setTimeout(() => {
      if (outputPending()) return later();
      // the process's own stdout and stderr do not count: their last bytes may be in flight
      const open = process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap');
      if (open.length) logger.warn(`still running ${EXIT_GRACE_MS} ms after the command finished: exiting`, { open, unfinished: stillRunning() });
      process.exit(code);
    }, EXIT_GRACE_MS).unref();
  };
  later();
}
