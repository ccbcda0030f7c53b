/** Where and when the benchmark ran: CPU model, cores, RAM, load, Node, date and git commit. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { REPO } from './paths.js';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  /** 1-minute load average when the benchmark started (other work on the machine skews figures) */
  loadAvg1: number;
  node: string;
  platform: string;
  date: string;
  commit: string;
  /** uncommitted changes in the checkout when it ran */
  dirty: boolean;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machine(now = new Date()): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAvg1: Math.round(os.loadavg()[0]! * 100) / 100,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: now.toISOString(),
    commit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
  };
}
