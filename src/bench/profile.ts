/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`): the functions with the largest self time and
 * the largest inclusive time, as shares of the sampled (non-idle) time, with their source place
 * relative to the repository.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface ProfileEntry {
  name: string;
  /** file:line (relative to the repo when inside it) */
  where: string;
  /** share of the non-idle samples, 0..1 */
  self: number;
  total: number;
}

export interface ProfileSummary {
  /** non-idle samples */
  samples: number;
  /** share of all samples that were idle */
  idle: number;
  gc: number;
  topSelf: ProfileEntry[];
  topTotal: ProfileEntry[];
}

function place(url: string, line: number, repo: string): string {
  if (!url) return '';
  const file = url.replace(/^file:\/\//, '');
  const rel = file.startsWith(repo) ? file.slice(repo.length).replace(/^\//, '') : file.replace(/^.*node_modules\//, 'node_modules/');
  return `${rel}:${line + 1}`;
}

/** Summarize .cpuprofile objects (pure); several (one per thread of a process) are added up. */
export function summarizeProfile(profiles: { nodes: ProfileNode[] } | { nodes: ProfileNode[] }[], repo: string, top = 12): ProfileSummary {
  const list = Array.isArray(profiles) ? profiles : [profiles];
  const key = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\t${place(n.callFrame.url, n.callFrame.lineNumber, repo)}`;
  let all = 0;
  let idle = 0;
  let gc = 0;
  for (const n of list.flatMap((p) => p.nodes)) {
    const h = n.hitCount ?? 0;
    all += h;
    if (n.callFrame.functionName === '(idle)') idle += h;
    if (n.callFrame.functionName === '(garbage collector)') gc += h;
  }
  const busy = Math.max(1, all - idle);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  // inclusive time: a function counts once per sample even when it recurses
  let byId = new Map<number, ProfileNode>();
  const walk = (id: number, onStack: Map<string, number>): number => {
    const n = byId.get(id)!;
    const k = key(n);
    let sum = n.hitCount ?? 0;
    if (n.callFrame.functionName !== '(idle)') self.set(k, (self.get(k) ?? 0) + (n.hitCount ?? 0));
    onStack.set(k, (onStack.get(k) ?? 0) + 1);
    for (const c of n.children ?? []) sum += walk(c, onStack);
    const depth = onStack.get(k)! - 1;
    if (depth === 0) {
      onStack.delete(k);
      if (n.callFrame.functionName !== '(idle)' && n.callFrame.functionName !== '(root)') total.set(k, (total.get(k) ?? 0) + sum);
    } else onStack.set(k, depth);
    return sum;
  };
  for (const p of list) {
    byId = new Map<number, ProfileNode>(p.nodes.map((n) => [n.id, n]));
    if (p.nodes[0]) walk(p.nodes[0].id, new Map());
  }
  const entries = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => {
        const [name, where] = k.split('\t') as [string, string];
        return { name, where, self: (self.get(k) ?? 0) / busy, total: (total.get(k) ?? v) / busy };
      });
  return { samples: busy, idle: all ? idle / all : 0, gc: gc / busy, topSelf: entries(self), topTotal: entries(total) };
}

export function summarizeProfileFiles(files: string[], repo: string, top = 12): ProfileSummary {
  return summarizeProfile(
    files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as { nodes: ProfileNode[] }),
    repo,
    top,
  );
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Lines for the report: top self time, then top inclusive time (skipping the obvious wrappers). */
export function formatProfile(s: ProfileSummary, top = 8): string[] {
  const lines = [`  ${s.samples} busy samples (all threads), idle ${pct(s.idle)} of all, GC ${pct(s.gc)} of busy`, '  self time:'];
  for (const e of s.topSelf.slice(0, top)) lines.push(`    ${pct(e.self).padStart(6)}  ${e.name}  ${e.where}`);
  lines.push('  inclusive time:');
  for (const e of s.topTotal.filter((e) => e.where && !e.where.startsWith('node:')).slice(0, top))
    lines.push(`    ${pct(e.total).padStart(6)}  ${e.name}  ${e.where}`);
  return lines;
}
