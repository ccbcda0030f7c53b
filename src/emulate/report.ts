/** The emulator's live progress line (TTY, stderr) and its final summary (human or JSON). */
import type { Counters, Summary } from './runner.js';

export function progressLine(c: Counters, seconds: number): string {
  const rate = seconds > 0 ? c.accepted / seconds : 0;
  return `emulate: ${c.postings} postings  sent ${c.sent}  accepted ${c.accepted}  rejected ${c.rejected}  retried ${c.retried}  failed ${c.failed}  ${rate.toFixed(0)} records/s`;
}

export function summaryJson(s: Summary): string {
  return JSON.stringify({ ...s, seconds: round(s.seconds, 3), rate: round(s.rate, 1) });
}

export function summaryText(s: Summary): string {
  const lines = [
    `postings   ${s.postings}`,
    `sent       ${s.sent} records`,
    `accepted   ${s.accepted}${s.duplicates ? ` (${s.duplicates} as duplicates of an earlier attempt)` : ''}`,
    `rejected   ${s.rejected}`,
    `retried    ${s.retried} attempts`,
    `failed     ${s.failed}${s.failed && s.last_error ? ` (${s.last_error})` : ''}`,
    `time       ${s.seconds.toFixed(1)} s, ${s.rate.toFixed(1)} records/s`,
  ];
  return lines.join('\n');
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

/** A single \r-rewritten line on a terminal; nothing otherwise. */
export class ProgressLine {
  private timer: NodeJS.Timeout | null = null;
  private shown = false;

  constructor(
    private readonly write: (s: string) => void,
    private readonly enabled: boolean,
  ) {}

  start(render: () => string, everyMs = 250): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => {
      this.shown = true;
      this.write(`\r\x1b[2K${render()}`);
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.shown) this.write('\r\x1b[2K');
  }
}
