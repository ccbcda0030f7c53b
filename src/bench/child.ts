/**
 * Run a pinpipe role as a child process of the real CLI (`node bin/pinpipe <args> --data-dir D
 * [--config F]`), timing it and reading its peak RSS: VmHWM from /proc/<pid>/status sampled every
 * 250 ms, and the final value written by the hwm-probe preload just before the process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BIN, REPO } from './paths.js';
import type { Stack } from './stack.js';

const PROBE = new URL('./hwm-probe.js', import.meta.url).href;

export interface ChildSpec {
  /** name shown in messages */
  label: string;
  /** the subcommand and its flags */
  args: string[];
  stack: Stack;
  /** write a V8 CPU profile of the role into this directory */
  cpuProfDir?: string;
  /** kill (SIGKILL) after this long */
  timeoutMs?: number;
  /** each stderr line (the role's structured log) */
  onStderrLine?: (line: string) => void;
}

export interface ChildResult {
  label: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderrTail: string;
  /** peak resident set size, MiB (null when unknown) */
  peakRssMb: number | null;
  /** the role threw "not implemented yet": its owner has not landed it */
  notLanded: boolean;
  timedOut: boolean;
  /** the .cpuprofile files written (one per thread), when asked for */
  profile?: string[];
}

const KEEP = 1 << 20;

function readStatusKb(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Peak resident set size of a process so far (VmHWM), kB; null when it is gone or there is no /proc. */
export const readHwmKb = (pid: number): number | null => readStatusKb(pid, 'VmHWM');
/** Current resident set size (VmRSS), kB. */
export const readRssKb = (pid: number): number | null => readStatusKb(pid, 'VmRSS');

/** CPU time (user + system) a process has used so far, ms; null when it is gone or there is no /proc. Linux counts it in ticks of 10 ms (USER_HZ 100). */
export function readCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after the command name (which may hold spaces): state is the first, utime the 12th, stime the 13th
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

function childEnv(stack: Stack, hwmFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(PINPIPE_|TEST_|AWS_)/.test(k)) env[k] = v;
  return { ...env, ...stack.env, BENCH_HWM_FILE: hwmFile, NO_COLOR: '1' };
}

export class RoleProcess {
  readonly child: ChildProcess;
  readonly done: Promise<ChildResult>;
  private maxHwm = 0;
  private stderrBuf = '';

  constructor(readonly spec: ChildSpec) {
    const hwmFile = path.join(spec.stack.dataDir, `.hwm-${spec.label.replace(/[^\w.-]/g, '_')}-${process.hrtime.bigint()}`);
    const nodeArgs = ['--import', PROBE];
    if (spec.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${spec.cpuProfDir}`);
    const roleArgs = [...spec.args, '--data-dir', spec.stack.dataDir];
    if (spec.stack.configFile) roleArgs.push('--config', spec.stack.configFile);
    const t0 = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, BIN, ...roleArgs], {
      cwd: REPO,
      env: childEnv(spec.stack, hwmFile),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let stdout = '';
    let stderrTail = '';
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout = (stdout + d).slice(-KEEP);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderrTail = (stderrTail + d).slice(-65536);
      this.stderrBuf = (this.stderrBuf + d).slice(-KEEP);
      if (!spec.onStderrLine) return;
      pending += d;
      let i;
      while ((i = pending.indexOf('\n')) >= 0) {
        spec.onStderrLine(pending.slice(0, i));
        pending = pending.slice(i + 1);
      }
    });
    const sampler = setInterval(() => this.sample(), 250);
    let timedOut = false;
    const timer = spec.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, spec.timeoutMs)
      : undefined;
    this.done = new Promise<ChildResult>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const ms = performance.now() - t0;
        clearInterval(sampler);
        if (timer) clearTimeout(timer);
        let final: number | null = null;
        if (existsSync(hwmFile)) {
          final = Number(readFileSync(hwmFile, 'utf8')) || null;
          rmSync(hwmFile, { force: true });
        }
        const kb = Math.max(final ?? 0, this.maxHwm);
        resolve({
          label: spec.label,
          code,
          signal,
          ms,
          stdout,
          stderrTail,
          peakRssMb: kb > 0 ? kb / 1024 : null,
          notLanded: /not implemented yet/.test(stderrTail),
          timedOut,
          profile: spec.cpuProfDir ? profilesIn(spec.cpuProfDir) : undefined,
        });
      });
    });
  }

  /** sample VmHWM now; returns the peak so far, MiB */
  sample(): number | null {
    const kb = this.child.pid ? readHwmKb(this.child.pid) : null;
    if (kb !== null && kb > this.maxHwm) this.maxHwm = kb;
    return this.maxHwm ? this.maxHwm / 1024 : null;
  }

  /** everything the role logged so far (last MiB) */
  stderr(): string {
    return this.stderrBuf;
  }

  /** ask the role to drain and exit (SIGTERM), then wait for it */
  async stop(): Promise<ChildResult> {
    this.sample();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.done;
  }
}

/** Run a role to completion. */
export function runRole(spec: ChildSpec): Promise<ChildResult> {
  return new RoleProcess(spec).done;
}

function profilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** A short description of a failed role run, for the report. */
export function failureText(r: ChildResult): string {
  if (r.notLanded) return 'role not landed yet';
  if (r.timedOut) return `timed out after ${Math.round(r.ms / 1000)} s`;
  const last = r.stderrTail.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
  return `exit ${r.code ?? r.signal}: ${last}`;
}
