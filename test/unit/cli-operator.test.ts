/**
 * Operator errors get a clear message and exit 2 at once (issue 11, items 8 and 10): a port in
 * use for `api` and `up` (which used to print "unexpected error: listen EADDRINUSE" and hang, or
 * run against the other process's API), unknown PINPIPE_* variables, non-integer integers.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exitWithin, killAll, startCli } from '../faults/lib/proc.js';

let busy: Server;
let port = 0;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-operator-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
  port = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  await killAll();
  busy.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = async (args: string[], env: Record<string, string> = {}) => {
  const p = startCli('pinpipe', args, { env });
  const e = await exitWithin(p, 20_000);
  return { code: e.code, timedOut: e.timedOut, ms: e.ms, err: p.stderr() };
};

describe('a port in use', () => {
  test('api --port P: exit 2 naming the address and the setting, without hanging', async () => {
    const r = await run(['api', '--port', String(port), '--data-dir', dir]);
    expect({ code: r.code, timedOut: r.timedOut }).toEqual({ code: 2, timedOut: false });
    expect(r.err).toContain(`pinpipe: PORT_IN_USE: 127.0.0.1:${port} is already in use by another process: stop it or choose another port (api.port: --port or PINPIPE_API_PORT)`);
    expect(r.err).not.toContain('unexpected error');
  });

  test('PINPIPE_API_PORT=P: the same', async () => {
    const r = await run(['api', '--data-dir', dir], { PINPIPE_API_PORT: String(port) });
    expect({ code: r.code, timedOut: r.timedOut }).toEqual({ code: 2, timedOut: false });
    expect(r.err).toContain(`127.0.0.1:${port} is already in use`);
  });

  test('up --port P: exit 2 before any role starts (no role log, nothing in the data dir)', async () => {
    const upDir = path.join(dir, 'up');
    const r = await run(['up', '--port', String(port), '--duration', '30', '--data-dir', upDir]);
    expect({ code: r.code, timedOut: r.timedOut }).toEqual({ code: 2, timedOut: false });
    expect(r.err).toContain(`127.0.0.1:${port} is already in use by another process: stop it or choose another port (up --port)`);
    expect(existsSync(path.join(upDir, 'logs'))).toBe(false);
    expect(existsSync(path.join(upDir, 'log'))).toBe(false);
  });
});

describe('environment', () => {
  test('an unknown PINPIPE_* variable is warned about, naming the closest setting; the command still runs', async () => {
    const r = await run(['query', '--data-dir', dir, '--json', 'SELECT 1 AS x'], { PINPIPE_API_KEYS: 'k3y-0123456789abcdef' });
    expect(r.code).toBe(0);
    expect(r.err).toContain('pinpipe: warning: PINPIPE_API_KEYS is not a pinpipe setting and is ignored; did you mean PINPIPE_API_KEY (api.apiKey)?');
    expect(r.err).not.toContain('k3y-0123456789abcdef');
  });

  test('PINPIPE_PARTITIONS=1e3 is refused with exit 2, naming the variable', async () => {
    const r = await run(['query', '--data-dir', dir, 'SELECT 1'], { PINPIPE_PARTITIONS: '1e3' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('PINPIPE_PARTITIONS (log.partitions) = "1e3": must be an integer (digits only)');
  });
});
