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
 * One shared attempt at an async step (a connector's connect): callers while it runs, and after it
 * succeeded, get its promise; a failed attempt is forgotten, so the next call tries again.
 */
export class SharedAttempt {
  private current?: Promise<void>;

  run(fn: () => Promise<void>): Promise<void> {
    this.current ??= fn().catch((e: unknown) => {
      this.current = undefined;
      throw e;
    });
    return this.current;
  }

  /** the next run tries again, even after a success */
  reset(): void {
    this.current = undefined;
  }
}
