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
