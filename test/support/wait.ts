/** Waiting in tests: on an observable condition, bounded; never a fixed sleep where a condition exists. */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll cond every `everyMs` until it gives a truthy value (returned) or `timeoutMs` passed (throws,
 * naming `what`). A rejection of cond fails the wait at once.
 */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 20_000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Poll cond until it holds or `timeoutMs` passed, and say whether it holds: for a test that asserts
 * on what it got either way (its own assertion then names what is missing).
 */
export async function within(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}
