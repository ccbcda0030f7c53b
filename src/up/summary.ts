/**
 * The live summary of `pinpipe up`, read from the connectors themselves (not from the roles'
 * output): postings/s from the log's end offsets, consumer lag per group, the latest R1 window
 * from the realtime store, batch status from the ledger.
 */
import type { Config } from '../core/config.js';
import { topicName } from '../core/config.js';
import { LEDGER } from '../core/tables.js';
import type { Log, LogAdmin } from '../connectors/log/types.js';
import type { RealtimeStore, WindowRow } from '../connectors/realtime/types.js';
import type { ServingStore } from '../connectors/store/types.js';
import { fit } from '../status/format.js';

export interface Snapshot {
  at: number;
  postings: number; // pin records in the log
  postingsPerSec: number;
  batchLag: number;
  streamLag: number;
  r1: { minute: string; total: number; top: [string, number][]; final: boolean } | null;
  batch: { day: string; status: string; finishedAt: string | null; curatedRows: number | null } | null;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + Math.max(0, b), 0);

export class SummaryReader {
  private admin: LogAdmin;
  private prev: { at: number; postings: number } | null = null;

  constructor(private cfg: Config, log: Log, private realtime: RealtimeStore, private store: ServingStore) {
    this.admin = log.admin();
  }

  async read(): Promise<Snapshot> {
    const at = Date.now();
    const topics = ['pin', 'geo', 'user'].map((t) => topicName(this.cfg, t));
    let ends: number[] = [], batchLag = 0, streamLag = 0;
    for (const t of topics) {
      const end = await this.admin.endOffsets(t).catch(() => [] as number[]);
      if (t === topics[0]) ends = end;
      const b = await this.admin.groupOffsets(this.cfg.batch.group, t).catch(() => end.map(() => 0));
      const s = await this.admin.groupOffsets(this.cfg.stream.group, t).catch(() => end.map(() => 0));
      batchLag += sum(end.map((e, i) => e - Math.max(0, b[i] ?? 0)));
      streamLag += sum(end.map((e, i) => e - Math.max(0, s[i] ?? 0)));
    }
    const postings = sum(ends);
    const rate = this.prev && at > this.prev.at ? ((postings - this.prev.postings) * 1000) / (at - this.prev.at) : 0;
    this.prev = { at, postings };
    const r1Rows = await this.realtime.read('R1', { from: new Date(at - 10 * 60_000).toISOString() }).catch(() => [] as WindowRow[]);
    const ledger = await this.store.select(LEDGER).catch(() => []);
    const last = [...ledger].sort((a, b) => String(b.started_at ?? '').localeCompare(String(a.started_at ?? '')))[0];
    return {
      at,
      postings,
      postingsPerSec: rate,
      batchLag,
      streamLag,
      r1: latestWindow(r1Rows),
      batch: last
        ? { day: String(last.day), status: String(last.status), finishedAt: (last.finished_at as string | null) ?? null, curatedRows: (last.curated_rows as number | null) ?? null }
        : null,
    };
  }

  async close(): Promise<void> {
    await this.admin.close();
  }
}

export function latestWindow(rows: WindowRow[]): Snapshot['r1'] {
  if (!rows.length) return null;
  const minute = rows.reduce((m, r) => (r.minute > m ? r.minute : m), rows[0]!.minute);
  const inWindow = rows.filter((r) => r.minute === minute);
  const counts = inWindow.map((r) => [r.key || '(none)', Number(r.values.postings ?? 0)] as [string, number]).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { minute, total: counts.reduce((a, [, n]) => a + n, 0), top: counts.slice(0, 3), final: inWindow.every((r) => r.final) };
}

/**
 * The panel's lines, each at most `width` columns (a terminal wraps longer lines, and the
 * wrapped rows would then be left behind when the panel is redrawn).
 */
export function formatSnapshot(s: Snapshot, roles: { name: string; up: boolean }[], elapsedSec: number, width = 80, dashboardUrl?: string): string[] {
  const r1 = s.r1
    ? `${s.r1.minute.slice(11, 16)} UTC ${s.r1.final ? 'final' : 'open'}: ${s.r1.total} postings (${s.r1.top.map(([k, n]) => `${k} ${n}`).join(', ')})`
    : 'waiting for the first window';
  const batch = s.batch ? `${s.batch.day} ${s.batch.status}${s.batch.curatedRows !== null ? `, ${s.batch.curatedRows} curated rows` : ''}` : 'no run yet';
  const down = roles.filter((r) => !r.up).map((r) => r.name);
  const lines = [
    `pinpipe up  ${Math.round(elapsedSec)}s  ${roles.length - down.length}/${roles.length} roles up${down.length ? ` (down: ${down.join(', ')})` : ''}`,
    `  postings     ${s.postings} in the log, ${s.postingsPerSec.toFixed(1)}/s`,
    `  consumer lag batch ${s.batchLag}, stream ${s.streamLag} records`,
    `  latest R1    ${r1}`,
    `  batch-run    ${batch}`,
  ];
  if (dashboardUrl) lines.push(`  dashboard    ${dashboardUrl}`);
  return lines.map((l) => fit(l, width));
}

/**
 * The escape sequence that redraws the panel in place: up over the previous panel, each line
 * cleared and written, then everything below cleared (no stale line when the panel shrinks).
 */
export function redrawPanel(lines: string[], previous: number): string {
  return (previous ? `\x1b[${previous}A` : '') + lines.map((l) => `\r\x1b[2K${l}\n`).join('') + '\x1b[J';
}
