/** The results table (text) and the machine-readable output (--json). */
import type { Machine } from './machine.js';
import { formatValue } from './stats.js';
import type { Row, Status } from './types.js';

const MET: Record<Status, string> = { met: 'yes', missed: 'NO', info: '', 'not-landed': 'not landed', failed: 'FAILED' };

export interface Report {
  machine: Machine;
  mode: { stack: 'embedded' | 'real'; lake: 'local' | 's3'; quick: boolean; profile: boolean; stages: string[] };
  rows: Row[];
  seconds: number;
  profiles?: Record<string, string[]>;
}

function pad(cells: string[][]): string[] {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  return cells.map((r) =>
    r
      .map((c, i) => c + ' '.repeat(widths[i]! - [...c].length))
      .join('  ')
      .trimEnd(),
  );
}

export function formatMachine(m: Machine): string {
  return (
    `machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, load ${m.loadAvg1} at start; ${m.platform}; node ${m.node}\n` +
    `date: ${m.date}   commit: ${m.commit}${m.dirty ? ' (with uncommitted changes)' : ''}`
  );
}

export function formatTable(r: Report): string {
  const cells = [
    ['stage', 'measured', 'target', 'met?', 'peak RSS', 'load'],
    ...r.rows.map((x) => [
      x.stage,
      x.measured,
      x.target,
      MET[x.status],
      x.peakRssMb ? formatValue(x.peakRssMb, 'MiB') : '',
      x.loadAvg1 === undefined ? '' : x.loadAvg1.toFixed(1),
    ]),
  ];
  const lines = pad(cells);
  lines.splice(1, 0, '-'.repeat(lines[0]!.length + 10));
  const notes = r.rows.filter((x) => x.note).map((x) => `  ${x.stage}: ${x.note}`);
  const out = [
    `pinpipe benchmark — ${r.mode.stack} stack${r.mode.stack === 'real' ? ` (lake: ${r.mode.lake === 's3' ? 'S3' : 'local directory'})` : ''}${r.mode.quick ? ', quick' : ''}${r.mode.profile ? ', with CPU profiles' : ''}`,
    formatMachine(r.machine),
    '',
    ...lines,
    '',
    'notes:',
    ...notes,
  ];
  for (const [name, prof] of Object.entries(r.profiles ?? {})) out.push('', `profile of ${name}:`, ...prof);
  out.push('', `total ${Math.round(r.seconds)} s`);
  return out.join('\n') + '\n';
}

export const formatJson = (r: Report): string => JSON.stringify(r, null, 2) + '\n';
