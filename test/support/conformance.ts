/**
 * The harness of every conformance suite (test/conformance/<kind>.conformance.ts): a fresh
 * fixture per test from the implementation's setup(), its connector made ready, and afterwards
 * every connector the test opened on the same data (reopen) closed, then the main one, then the
 * fixture cleaned up.
 */
import { afterEach, beforeEach } from '@jest/globals';

interface Closable {
  close(): Promise<void>;
}

export interface Harness<F, C> {
  /** this test's fixture */
  readonly fx: F;
  /** this test's connector */
  readonly main: C;
  /** a second connector on the same data (from the fixture), closed after the test */
  track<T extends Closable>(c: T): T;
}

export function connectorHarness<F extends { cleanup(): Promise<void> }, C extends Closable>(
  setup: () => Promise<F>,
  main: (fx: F) => C,
  ready: (c: C) => Promise<void> = async () => {},
): Harness<F, C> {
  let fx: F | undefined;
  const opened: Closable[] = [];
  beforeEach(async () => {
    fx = await setup();
    await ready(main(fx));
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) await c.close();
    await main(fx!).close();
    await fx!.cleanup();
  });
  return {
    get fx() {
      return fx!;
    },
    get main() {
      return main(fx!);
    },
    track: (c) => {
      opened.push(c);
      return c;
    },
  };
}
