/**
 * Runs pinpipe roles as child processes of the same binary (so `up` composes the real roles and
 * uses every core), each with its output in <dataDir>/logs/<role>.log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/pinpipe');

export interface Role {
  name: string;
  child: ChildProcess;
  /** resolves with the exit code when the process ends */
  exited: Promise<number>;
  logFile: string;
}

export function startRole(name: string, args: string[], opts: { dataDir: string; configFile?: string; env?: NodeJS.ProcessEnv }): Role {
  const logs = path.join(opts.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const logFile = path.join(logs, `${name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const full = [BIN, ...args, '--data-dir', opts.dataDir, ...(opts.configFile ? ['--config', opts.configFile] : [])];
  const child = spawn(process.execPath, full, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      out.end();
      resolve(code ?? (signal ? 128 : 1));
    });
    child.on('error', () => resolve(1));
  });
  return { name, child, exited, logFile };
}

/** SIGTERM, then SIGKILL after graceMs if it has not exited. */
export async function stopRole(role: Role, graceMs = 15_000): Promise<number> {
  if (role.child.exitCode !== null || role.child.signalCode !== null) return role.exited;
  role.child.kill('SIGTERM');
  const timer = setTimeout(() => role.child.kill('SIGKILL'), graceMs);
  const code = await role.exited;
  clearTimeout(timer);
  return code;
}
