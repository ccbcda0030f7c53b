/**
 * GET /ready: whether the log accepts writes. Not ready while the last append failed (for
 * FAILED_FOR_MS after it, or until an append succeeds); otherwise the probe's answer (e.g. an admin
 * call to the log), cached for a second and bounded by a timeout.
 */
import { errorMessage } from '../core/errors.js';

const CACHE_MS = 1000;
const TIMEOUT_MS = 2000;
const FAILED_FOR_MS = 5000;

export class Readiness {
  private failedAt = 0;
  private cached: { at: number; problem: string | null } | null = null;
  private running: Promise<string | null> | null = null;

  constructor(private readonly probe?: () => Promise<void>) {}

  succeeded(): void {
    this.failedAt = 0;
  }

  failed(): void {
    this.failedAt = Date.now();
    this.cached = null;
  }

  /** null when ready, else what is wrong */
  async check(): Promise<string | null> {
    if (this.failedAt && Date.now() - this.failedAt < FAILED_FOR_MS) return 'the last append to the log failed';
    if (!this.probe) return null;
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.problem;
    if (!this.running) {
      this.running = this.runProbe().then((problem) => {
        this.cached = { at: Date.now(), problem };
        this.running = null;
        return problem;
      });
    }
    return this.running;
  }

  private async runProbe(): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer from the log within ${TIMEOUT_MS} ms`), TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.probe!().then(() => null), timeout]);
    } catch (e) {
      return errorMessage(e);
    } finally {
      clearTimeout(timer);
    }
  }
}
