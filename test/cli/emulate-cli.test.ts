/**
 * The two commands as a user runs them (needs `npm run build` first, as `npm test` does):
 * `pinpipe api --port 0` and `pinpipe emulate --api <url>` as subprocesses over one data dir;
 * SIGTERM drains the api (exit 0) and the log holds 3N records.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { createLog } from '../../src/connectors/registry.js';
import { exitWithin, killAll, startCli, waitForOutput } from '../faults/lib/proc.js';

const BIN = path.resolve('bin/pinpipe');
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PINPIPE_')));

function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: ENV });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return exited(child).then((code) => ({ code, stdout, stderr }));
}

test('pinpipe api + pinpipe emulate: N postings → 3N records; SIGTERM drains and exits 0', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-cli-'));
  const api = spawn(process.execPath, [BIN, 'api', '--port', '0', '--data-dir', dir], { env: ENV });
  try {
    let apiErr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`api did not start: ${apiErr}`)), 20_000);
      api.stderr!.on('data', (d) => {
        apiErr += d;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(apiErr);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    const one = await runCli(['emulate', '--api', url, '--count', '25', '--rate', '0', '--seed', '3', '--json', '--data-dir', dir]);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ postings: 25, sent: 75, accepted: 75, rejected: 0, failed: 0 });
    const bulk = await runCli(['emulate', '--api', url, '--count', '20', '--rate', '0', '--bulk', '8', '--data-dir', dir]);
    expect(bulk.code).toBe(0);
    expect(bulk.stdout).toMatch(/^accepted\s+60$/m);
    const bad = await runCli(['emulate', '--api', `${url}/nowhere`, '--count', '1', '--rate', '0', '--json', '--data-dir', dir]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ rejected: 3, accepted: 0 });
    const usage = await runCli(['emulate', '--api', url, '--concurrency', '0', '--data-dir', dir]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--concurrency must be an integer from 1 to 1024/);
    const retries = await runCli(['emulate', '--api', url, '--retries', '-1', '--data-dir', dir]);
    expect(retries.code).toBe(2);
    expect(retries.stderr).toMatch(/--retries must be an integer from 0 to 100/);

    api.kill('SIGTERM');
    expect(await exited(api)).toBe(0);
    expect(apiErr).toMatch(/api stopped/);

    const log = await createLog(loadConfig({ env: {}, flags: { dataDir: dir } }));
    const admin = log.admin();
    for (const t of ['pin', 'geo', 'user']) expect((await admin.endOffsets(t)).reduce((a, b) => a + b, 0)).toBe(45);
    await admin.close();
  } finally {
    if (api.exitCode === null) api.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('network failures', () => {
  test('the CLI warns on the first failure at once (it used to retry silently for 37 s)', async () => {
    const p = startCli('emulate', ['emulate', '--api', 'http://127.0.0.1:9', '--count', '1', '--data-dir', os.tmpdir()]);
    try {
      await waitForOutput(
        p,
        /a request to the API failed: network error: connection refused at http:\/\/127\.0\.0\.1:9: is `pinpipe api` running there\?; retrying/,
        10_000,
      );
      p.kill('SIGTERM');
      const e = await exitWithin(p, 20_000);
      expect(e.code).toBe(1);
      expect(p.stdout()).toMatch(/failed {5}\d+ \(network error: connection refused at http:\/\/127\.0\.0\.1:9/);
    } finally {
      await killAll();
    }
  }, 40_000);

  test('--retries bounds the retries of a request: then its records count as failed, exit 1', async () => {
    const r = await runCli(['emulate', '--api', 'http://127.0.0.1:9', '--count', '1', '--retries', '2', '--json', '--data-dir', os.tmpdir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/retrying with backoff \(up to 2 times per request\)/);
    // the pin's request: its first try and 2 retries; then the geo's and the user's the same
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ postings: 1, sent: 3, accepted: 0, failed: 3, retried: 6 });
  }, 40_000);
});
