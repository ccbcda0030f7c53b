/** Runs async sections one at a time, in call order (a batch, a flush, a revocation, ...). */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  /** fn runs once every section called before it has settled; its result (or error) is the caller's */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * One shared attempt at an async step (a connector's connect, a client it opens): callers while it
 * runs, and after it succeeded, get its promise; a failed attempt is forgotten, so the next call
 * tries again.
 */
export class SharedAttempt<T = void> {
  private attempt?: Promise<T>;

  run(fn: () => Promise<T>): Promise<T> {
    this.attempt ??= fn().catch((e: unknown) => {
      this.attempt = undefined;
      throw e;
    });
    return this.attempt;
  }

  /** the attempt under way or made (none before the first run, after a failure or a reset) */
  get current(): Promise<T> | undefined {
    return this.attempt;
  }

  /** the next run tries again, even after a success */
  reset(): void {
    this.attempt = undefined;
  }
}
