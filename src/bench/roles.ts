/**
 * Long-running roles for the benchmark: start one, wait until its structured log says it is
 * listening (the URL it logs), stop it with SIGTERM and collect its result.
 */
import path from 'node:path';
import { RoleProcess, failureText, type ChildResult } from './child.js';
import type { Stack } from './stack.js';
import type { BenchContext } from './types.js';

export interface Started {
  proc: RoleProcess;
  /** the URL from the matching log line */
  url: string;
}

export class RoleFailed extends Error {
  constructor(readonly result: ChildResult) {
    super(failureText(result));
  }
}

/** Start `args` and wait for a log line whose msg matches `ready`; its `url` field is returned. */
export function startAndWait(
  ctx: BenchContext,
  stack: Stack,
  label: string,
  args: string[],
  ready: RegExp,
  timeoutMs = 60_000,
  configFile?: string,
): Promise<Started> {
  return new Promise<Started>((resolve, reject) => {
    let settled = false;
    const proc = new RoleProcess({
      label,
      args,
      stack: configFile ? { ...stack, configFile } : stack,
      cpuProfDir: ctx.profile ? path.join(ctx.profileDir, label) : undefined,
      onStderrLine: (line) => {
        if (settled || !line.startsWith('{')) return;
        try {
          const o = JSON.parse(line) as { msg?: string; url?: string };
          if (o.msg && ready.test(o.msg) && o.url) {
            settled = true;
            clearTimeout(timer);
            resolve({ proc, url: o.url.replace(/\/metrics$/, '') });
          }
        } catch {
          // not a JSON log line
        }
      },
    });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void proc.stop();
      reject(new Error(`${label} did not become ready within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    void proc.done.then((r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new RoleFailed(r));
    });
  });
}

export const startApi = (ctx: BenchContext, stack: Stack, label = 'api') => startAndWait(ctx, stack, label, ['api', '--port', '0'], /listening on/);
