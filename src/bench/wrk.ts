/**
 * Closed-loop HTTP load with wrk (https://github.com/wg/wrk, Debian package `wrk`), a C load
 * generator: on the two shared cores it costs a few µs per request where autocannon (Node) costs
 * ~40 µs, i.e. ~0.6 of a core at 15,000 requests/s that the server under test would not get. The
 * max-throughput figures use wrk when it is on the PATH (`npm run bench:tools` installs it) and
 * autocannon otherwise; the report says which.
 *
 * The requests are pre-formatted in a generated Lua script and sent in turn; wrk's `done` hook
 * prints one JSON line with the counts, so nothing is parsed from its human output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface WrkRequest {
  path: string;
  body: string;
}

export interface WrkResult {
  /** answers counted by wrk (any status) */
  requests: number;
  /** answers with a status ≥ 400 (wrk's "Non-2xx or 3xx") */
  badStatus: number;
  /** connect, read, write and timeout errors */
  socketErrors: number;
  seconds: number;
  /** 2xx/3xx answers per second */
  okPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
}

let found: boolean | undefined;
/** wrk is on the PATH */
export function haveWrk(): boolean {
  found ??= spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  return found;
}

/** a Lua long-bracket string that cannot be closed by the text inside */
function luaString(s: string): string {
  let eq = '';
  while (s.includes(`]${eq}]`)) eq += '=';
  return `[${eq}[${s}]${eq}]`;
}

export function wrkScript(requests: WrkRequest[], host: string): string {
  const lines = ['local reqs = {}'];
  for (const r of requests)
    lines.push(
      `reqs[#reqs+1] = wrk.format("POST", ${luaString(r.path)}, {["Content-Type"]="application/json", ["Host"]=${luaString(host)}}, ${luaString(r.body)})`,
    );
  lines.push(
    'local i = 0',
    'request = function()',
    '  i = i + 1',
    '  if i > #reqs then i = 1 end',
    '  return reqs[i]',
    'end',
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'WRK_RESULT {"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n\',',
    '    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(99), latency.max))',
    'end',
  );
  return lines.join('\n') + '\n';
}

export async function runWrk(url: string, opts: { connections: number; seconds: number; threads?: number; requests: WrkRequest[] }): Promise<WrkResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-wrk-'));
  try {
    const script = path.join(dir, 'requests.lua');
    writeFileSync(script, wrkScript(opts.requests, new URL(url).host));
    const args = ['-t', String(opts.threads ?? 1), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--timeout', '30s', '-s', script, url];
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d: Buffer) => (text += d.toString()));
      p.stderr.on('data', (d: Buffer) => (text += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text.slice(-500)}`))));
    });
    return parseWrkOutput(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseWrkOutput(out: string): WrkResult {
  const m = /WRK_RESULT (\{.*\})/.exec(out);
  if (!m) throw new Error(`wrk printed no result line: ${out.slice(-500)}`);
  const r = JSON.parse(m[1]!) as Record<string, number>;
  const seconds = r.duration_us! / 1e6;
  const badStatus = r.status!;
  return {
    requests: r.requests!,
    badStatus,
    socketErrors: r.connect! + r.read! + r.write! + r.timeout!,
    seconds,
    okPerSecond: (r.requests! - badStatus) / seconds,
    latencyMs: { p50: r.p50_us! / 1000, p99: r.p99_us! / 1000, max: r.max_us! / 1000 },
  };
}
