/**
 * Writes the day markers: keeps the candidate days of each topic and, given the topic's frontier,
 * puts `raw/<topic>/dt=D/_SUCCESS` for the complete ones that hold data.
 */
import type { Lake } from '../../connectors/lake/types.js';
import { dayMarkerKey, parseRawChunkKey } from '../raw-keys.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { retry } from '../../core/retry.js';
import { completeDays } from './day-markers.js';
import type { WriterStats } from './stats.js';

/** 'data': the day is known to hold chunks; 'maybe': look in the lake first */
type Candidate = 'data' | 'maybe';

export class DayMarkerTracker {
  private readonly candidates = new Map<string, Map<string, Candidate>>();
  private readonly done = new Set<string>();

  constructor(
    private readonly lake: Lake,
    private readonly graceMs: number,
    private readonly logger: Logger,
    private readonly stats: WriterStats,
    private readonly signal: AbortSignal,
  ) {}

  private add(topic: string, day: string, kind: Candidate): void {
    if (this.done.has(`${topic}/${day}`)) return;
    let m = this.candidates.get(topic);
    if (!m) this.candidates.set(topic, (m = new Map()));
    if (kind === 'data' || !m.has(day)) m.set(day, kind);
  }

  noteData(topic: string, day: string): void {
    this.add(topic, day, 'data');
  }

  noteMaybe(topic: string, days: string[]): void {
    for (const d of days) this.add(topic, d, 'maybe');
  }

  pending(topic: string): string[] {
    return [...(this.candidates.get(topic)?.keys() ?? [])].sort();
  }

  /** Put the markers of the complete days. False if the lake failed for good (stopping). */
  async evaluate(topic: string, frontier: number): Promise<boolean> {
    const m = this.candidates.get(topic);
    if (!m || m.size === 0) return true;
    for (const day of completeDays(m.keys(), frontier, this.graceMs)) {
      try {
        await retry(() => this.mark(topic, day, m.get(day)!), {
          retries: Number.POSITIVE_INFINITY,
          initialMs: 200,
          maxMs: 15_000,
          signal: this.signal,
          shouldRetry: (_e, attempt) => !this.signal.aborted || attempt < 2,
          onRetry: (err, attempt) => this.logger.warn('day marker write failed; retrying', { topic, day, attempt, error: errorMessage(err) }),
        });
      } catch (err) {
        this.logger.error('day marker not written', { topic, day, error: errorMessage(err) });
        return false;
      }
      m.delete(day);
      this.done.add(`${topic}/${day}`);
    }
    return true;
  }

  private async mark(topic: string, day: string, kind: Candidate): Promise<void> {
    const key = dayMarkerKey(topic, day);
    if (kind === 'maybe') {
      const objects = await this.lake.list(`raw/${topic}/dt=${day}/`);
      if (objects.some((o) => o.key === key) || !objects.some((o) => parseRawChunkKey(o.key) !== null)) return;
    } else if (await this.lake.exists(key)) {
      return;
    }
    await this.lake.put(key, JSON.stringify({ topic, day, at: new Date().toISOString() }) + '\n');
    this.stats.markersWritten++;
    this.logger.info('day complete', { topic, day, marker: key });
  }
}
