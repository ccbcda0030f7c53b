/**
 * Child processes of the fault tests: `node bin/pinpipe ...` (needs `npx tsc -p tsconfig.json`
 * first), output captured, every child tracked so that afterAll can kill whatever is still
 * running (killAll), bounded waits, and the resident memory of a child from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../../support/wait.js';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const BIN = path.join(ROOT, 'bin/pinpipe');
/** the children's working directory: empty, so that no ./metrics or config/pinpipe.json of a checkout applies */
export const CWD = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-cwd-'));

export function requireBuild(): void {
  if (!existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('dist/ is missing: build first with `npx tsc -p tsconfig.json` (npm test does)');
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  /** true once the process has ended */
  done(): boolean;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<Proc>();

/** The environment of a child: ours without any PINPIPE_* setting, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PINPIPE_') && !k.startsWith('TEST_')) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Start `pinpipe <args>` (or any node script when `script` is given). */
export function startCli(name: string, args: string[], opts: { env?: Record<string, string>; script?: string } = {}): Proc {
  requireBuild();
  const child = spawn(process.execPath, [opts.script ?? BIN, ...args], { cwd: CWD, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  // keep the last 4 MB of each stream (bounded memory for long runs)
  const cap = (s: string) => (s.length > 4_000_000 ? s.slice(-3_000_000) : s);
  child.stdout!.on('data', (d) => (out = cap(out + d)));
  child.stderr!.on('data', (d) => (err = cap(err + d)));
  let ended = false;
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    });
    child.on('error', () => {
      ended = true;
      resolve({ code: null, signal: null });
    });
  });
  const proc: Proc = {
    name,
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exited,
    done: () => ended,
    kill: (signal = 'SIGKILL') => {
      if (!ended) child.kill(signal);
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** SIGKILL every child still running (afterAll of every fault test). */
export async function killAll(): Promise<void> {
  const left = [...running];
  for (const p of left) p.kill('SIGKILL');
  await Promise.all(left.map((p) => p.exited));
}

/** Wait for the process to end, at most `timeoutMs` (then SIGKILL and report the time-out). */
export async function exitWithin(p: Proc, timeoutMs: number): Promise<Exit & { ms: number; timedOut: boolean }> {
  const t0 = Date.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    p.kill('SIGKILL');
  }, timeoutMs);
  const e = await p.exited;
  clearTimeout(timer);
  return { ...e, ms: Date.now() - t0, timedOut };
}

/** Wait until the process printed a line matching re (stderr or stdout); fails early if it exits. */
export async function waitForOutput(p: Proc, re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  return waitFor(
    () => {
      const m = re.exec(p.stderr()) ?? re.exec(p.stdout());
      if (m) return m;
      if (p.done()) throw new Error(`${p.name} exited before printing ${re}: ${p.stderr().slice(-2000)}`);
      return null;
    },
    `${p.name} to print ${re}`,
    timeoutMs,
  );
}

/** Start `pinpipe api --port 0` and return it with its base URL (from its "listening" log line). */
export async function startApi(args: string[], env?: Record<string, string>): Promise<{ proc: Proc; url: string }> {
  const proc = startCli('api', ['api', '--port', '0', ...args], { env });
  const m = await waitForOutput(proc, /listening on (http:\/\/[^\s"]+)/, 30_000);
  return { proc, url: m[1]! };
}

/** Resident set size of a process in kB (VmRSS of /proc/<pid>/status). */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}
