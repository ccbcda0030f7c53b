/** Issue 11, item 1, through the CLI: no error or --help output contains an API key, a password or an AWS secret. */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exitWithin, startCli } from '../faults/lib/proc.js';

const KEY = 's3cr3t-api-key-0123456789';
const PW = 'Zq9x-password-7';

describe('the CLI', () => {
  const run = async (args: string[], env: Record<string, string>) => {
    const p = startCli('pinpipe', args, { env });
    const e = await exitWithin(p, 30_000);
    return { code: e.code, text: p.stdout() + p.stderr() };
  };
  const env = {
    PINPIPE_API_KEY: KEY,
    PINPIPE_KAFKA_SASL_PASSWORD: PW,
    PINPIPE_REDIS_URL: `redis://:${PW}@127.0.0.1:1`,
    AWS_SECRET_ACCESS_KEY: 'aws-secret-value-42',
  };

  test("the issue's example: exit 2, the key nowhere in the output", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-redact-'));
    writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ api: { prot: 8080 } }));
    const r = await run(['query', '--config', path.join(dir, 'c.json'), '--data-dir', dir, 'SELECT 1'], env);
    expect(r.code).toBe(2);
    expect(r.text).toContain('api.prot: unknown setting; did you mean api.port?');
    for (const s of [KEY, PW, 'aws-secret-value-42']) expect(r.text).not.toContain(s);
  });

  test('a failing role and --help print no secret', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-redact-'));
    // SASL without a username: a configuration error that mentions the SASL settings
    const r = await run(['api', '--port', '0', '--data-dir', dir], { ...env, PINPIPE_KAFKA_BROKERS: '127.0.0.1:1', PINPIPE_KAFKA_SASL_MECHANISM: 'plain' });
    expect(r.code).toBe(2);
    for (const cmd of ['api', 'query', 'emulate', 'up']) {
      const h = await run([cmd, '--help'], env);
      expect({ cmd, code: h.code }).toEqual({ cmd, code: 0 });
      for (const s of [KEY, PW, 'aws-secret-value-42']) expect(h.text).not.toContain(s);
    }
    for (const s of [KEY, PW, 'aws-secret-value-42']) expect(r.text).not.toContain(s);
  }, 60_000);
});
