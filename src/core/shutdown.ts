/**
 * Shutdown helpers shared by the roles and the CLI entry.
 *
 * - onAbort: a stop that was requested before a role started listening counts too. A listener
 *   added to an AbortSignal that is already aborted never fires, so a SIGTERM that arrived while a
 *   role was still starting up (loading modules, connecting) was lost and the role ran on.
 * - lingering/stillRunning: a client that did not stop within its bound (a Kafka consumer whose
 *   group is rebalancing) is noted here, so that the CLI exits once the command is done instead
 *   of waiting for it; what was written is committed before any client is closed.
 */

/** Run `fn` once `signal` aborts, at once if it already has; returns the remover of the listener. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => undefined;
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

const pending = new Set<string>();

/** Note something still finishing in the background (what names it); returns its done(). */
export function lingering(what: string): () => void {
  const entry = `${what} (since ${new Date().toISOString()})`;
  pending.add(entry);
  return () => pending.delete(entry);
}

/** What was noted by lingering() and has not finished. */
export function stillRunning(): string[] {
  return [...pending];
}
