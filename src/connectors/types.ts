/**
 * The lifecycle every connector shares, whatever its kind (log, lake, store, realtime, source):
 * connect, a health check, close. Each kind's interface (<kind>/types.ts) extends it, and
 * src/connectors/open.ts opens and closes any set of them the same way.
 */
export interface Connector {
  /** the implementation, as the kind's setting names it (`log.kind`: embedded or kafka, ...) */
  readonly kind: string;
  /**
   * Make it usable (idempotent). Rejects with the kind's *_UNAVAILABLE error when the system behind
   * it cannot be reached. Implementations whose clients connect on first use resolve at once.
   */
  connect(): Promise<void>;
  /** One short round trip to the system behind it; rejects with the kind's *_UNAVAILABLE error when it does not answer. */
  health(): Promise<void>;
  /** Release what it holds (idempotent). */
  close(): Promise<void>;
}

interface Closable {
  close(): Promise<void>;
}

/**
 * The parts a connector hands out (a log's producers, consumers and admins), so that the
 * connector's close() closes whatever is still open. A part's own close() works as before and
 * runs once.
 */
export class Parts {
  private readonly open = new Set<Closable>();

  track<T extends Closable>(part: T): T {
    const close = part.close.bind(part);
    let closing: Promise<void> | undefined;
    part.close = () => {
      this.open.delete(part);
      return (closing ??= close());
    };
    this.open.add(part);
    return part;
  }

  /** close every part still open (all of them, even when one fails; then the first failure is thrown) */
  async closeAll(): Promise<void> {
    const results = await Promise.allSettled([...this.open].map((p) => p.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
