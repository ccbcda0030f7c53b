/**
 * `pinpipe status` for people: compact tables in the manner of `kafka-consumer-groups --describe`
 * (group, topic, partition, current offset, log end offset, lag), then the stream, the realtime
 * windows, the ledger's days, the last batch runs and the dead letters. Every line fits `width`
 * columns (80 by default): long notes are cut with an ellipsis.
 */
import type { StatusReport } from './types.js';

export interface FormatStyle {
  bold?: (s: string) => string;
  bad?: (s: string) => string;
  good?: (s: string) => string;
  dim?: (s: string) => string;
}

const id = (s: string) => s;

/** cut a line to `width` columns (an ellipsis marks the cut) */
export function fit(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/** word-wrap a line to `width` columns, continuation lines indented by `indent` spaces */
export function wrap(text: string, width: number, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = ' '.repeat(indent) + word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** aligned columns; `right` marks numeric columns (right-aligned); the last column is not padded */
export function columns(header: string[], rows: string[][], right: boolean[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const n = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toLocaleString('en-US'));
const hhmm = (iso: string | null) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : '-');
const ago = (s: number | null) => (s === null ? '' : s < 120 ? ` (${s.toFixed(1)} s ago)` : s < 7200 ? ` (${Math.round(s / 60)} min ago)` : ` (${(s / 3600).toFixed(1)} h ago)`);

export function formatStatus(r: StatusReport, width = 80, style: FormatStyle = {}): string {
  const bold = style.bold ?? id;
  const bad = style.bad ?? id;
  const dim = style.dim ?? id;
  const out: [string, (s: string) => string][] = [];
  const add = (text: string, st: (s: string) => string = id) => out.push([text, st]);
  const table = (header: string[], rows: string[][], right: boolean[]) => columns(header, rows, right).forEach((l, i) => add(l, i === 0 ? bold : id));

  add(`pinpipe status  ${r.at}  ${r.healthy ? 'HEALTHY' : `${r.problems.length} PROBLEM${r.problems.length === 1 ? '' : 'S'}`}`, r.healthy ? (style.good ?? id) : bad);
  for (const p of r.problems) for (const l of wrap(`  ✗ ${p}`, width, 4)) add(l, bad);
  const c = r.connectors;
  add(`  log ${c.log}, lake ${c.lake}, store ${c.store}, realtime ${c.realtime}`, dim);

  add('');
  add(`INGEST  ${n(r.ingest.records)} records in the log${r.ingest.per_second === null ? '' : `, ${r.ingest.per_second}/s`}`, bold);
  add(`  ${r.ingest.topics.map((t) => `${t.topic} ${n(t.records)}`).join(', ') || 'no topics yet'}`);

  add('');
  const lagRows = r.groups.flatMap((g) => g.partitions.map((p) => [g.group, p.topic, String(p.partition), n(p.current), n(p.end), n(p.lag)]));
  table(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG'], lagRows, [false, false, true, true, true, true]);
  add(`  lag: consume-batch ${n(r.groups[0]?.lag)}, consume-stream ${n(r.groups[1]?.lag)} (stream: checkpoint's read positions)`, dim);

  const s = r.stream;
  const k = s.counters;
  add('');
  add(`STREAM  group ${s.group}`, bold);
  add(`  watermark      ${s.watermark ? `${hhmm(s.watermark)}${ago(s.watermark_age_s)}` : 'none yet (no checkpoint)'}`);
  add(`  newest record  ${s.newest_record ? `${hhmm(s.newest_record)}${ago(s.freshness_s)}` : '-'}`);
  add(`  counts         ${n(k.accepted)} accepted, ${n(k.late)} late, ${n(k.deadLettered)} dead-lettered, ${n(k.duplicates)} duplicates`);
  add(`                 unmatched: ${n(k.unmatchedGeo)} without geo, ${n(k.unmatchedUser)} without user`);
  table(['METRIC', 'LATEST WINDOW', 'STATE', 'ROWS', 'OPEN WINDOWS'], s.windows.map((w) => [w.metric, w.minute ? `${hhmm(w.minute).slice(0, 16)} UTC` : '-', w.final === null ? '-' : w.final ? 'final' : 'open', n(w.rows), n(w.open)]), [false, false, false, true, true]);

  const counts = r.ledger.counts;
  add('');
  add(`DAYS  ${counts.done} done, ${counts.partial} partial, ${counts.pending} pending, ${counts.running} running, ${counts.failed} failed`, bold);
  const days = r.ledger.days.slice(0, 10).map((d) => [d.day, d.state, n(d.raw_records), n(d.curated_rows), d.finished_at ? hhmm(d.finished_at).slice(11) : '-', d.note ?? d.message ?? '']);
  if (days.length) table(['DAY', 'STATE', 'RAW', 'CURATED', 'FINISHED', 'NOTE'], days, [false, false, true, true, false, false]);
  if (r.ledger.days.length > 10) add(`  ... ${r.ledger.days.length - 10} older days (--json lists all)`, dim);

  add('');
  add('LAST BATCH RUNS  (the last 24 h)', bold);
  const runs = r.batch_runs.map((b) => [hhmm(b.started_at), b.day, b.reason ?? '-', b.status, b.seconds === null ? '-' : b.seconds.toFixed(1)]);
  if (runs.length) table(['STARTED', 'DAY', 'REASON', 'STATUS', 'SECONDS'], runs, [false, false, false, false, true]);
  else add('  none', dim);

  add('');
  add(`DEAD LETTERS  ${n(r.dead_letters.records)} records in topic ${r.dead_letters.topic}`, bold);
  for (const e of r.errors) for (const l of wrap(`  cannot read ${e.source}: ${e.message}`, width, 4)) add(l, bad);
  return out.map(([t, st]) => st(fit(t, width))).join('\n') + '\n';
}
