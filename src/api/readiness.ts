/**
 * GET /ready: whether the log accepts writes. With a probe (e.g. an admin call to the log), the
 * probe's answer, cached for a second and bounded by a timeout; without one, whether the last
 * append succeeded.
 */
import { errorMessage } from '../core/errors.js';

const CACHE_MS = 1000;
const TIMEOUT_MS = 2000;

export class Readiness {
  private lastFailed = false;
  private cached: { at: number; problem: string | null } | null = null;
  private running: Promise<string | null> | null = null;

  constructor(private readonly probe?: () => Promise<void>) {}

  succeeded(): void {
    this.lastFailed = false;
  }

  failed(): void {
    this.lastFailed = true;
    this.cached = null;
  }

  /** null when ready, else what is wrong */
  async check(): Promise<string | null> {
    if (!this.probe) return this.lastFailed ? 'the last append to the log failed' : null;
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
