/**
 * Issue 11, item 1: no error, log line or --help output contains an API key, a password (Kafka
 * SASL, MySQL or Redis URL) or an AWS secret.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { redactUrl, redactValue, rememberSecrets, scrub, secretsIn } from '../../src/core/redact.js';
import { exitWithin, startCli } from '../faults/lib/proc.js';

const KEY = 's3cr3t-api-key-0123456789';
const PW = 'Zq9x-password-7';

describe('pure redaction', () => {
  test.each([
    ['mysql://pinpipe:pw@127.0.0.1:3306/db', 'mysql://pinpipe:***@127.0.0.1:3306/db'],
    ['redis://:hunter2@h:6379', 'redis://:***@h:6379'],
    ['see rediss://user:p%40ss@host/0 now', 'see rediss://user:***@host/0 now'],
    ['http://127.0.0.1:8080/pin', 'http://127.0.0.1:8080/pin'],
    ['no url here: a:b@c', 'no url here: a:b@c'],
  ])('redactUrl(%s)', (input, out) => expect(redactUrl(input)).toBe(out));

  test('redactValue hides secret-named properties at any depth and masks URL passwords', () => {
    expect(redactValue({ host: 'h', apiKey: KEY, kafka: { saslPassword: PW, brokers: ['a:1'] }, mysql: { url: `mysql://u:${PW}@h/db` } })).toEqual({
      host: 'h',
      apiKey: '(hidden)',
      kafka: { saslPassword: '(hidden)', brokers: ['a:1'] },
      mysql: { url: 'mysql://u:***@h/db' },
    });
    expect(redactValue(KEY, 'apiKey')).toBe('(hidden)');
    expect(redactValue(8080, 'port')).toBe(8080);
  });

  test('secretsIn finds named secrets and URL passwords of an environment or a config', () => {
    const env = { PINPIPE_API_KEY: KEY, PINPIPE_KAFKA_SASL_PASSWORD: PW, PINPIPE_MYSQL_URL: 'mysql://u:my%40pw-123@h/db', AWS_SECRET_ACCESS_KEY: 'aws-secret-1234', AWS_ACCESS_KEY_ID: 'AKIA-not-secret', PINPIPE_API_HOST: '127.0.0.1' };
    expect([...secretsIn(env)].sort()).toEqual([KEY, PW, 'aws-secret-1234', 'my@pw-123'].sort());
  });

  test('scrub replaces a secret as is, URL-encoded and in base64; short ones are left alone', () => {
    const s = 'p@ss/word-long';
    expect(scrub(`a ${s} b ${encodeURIComponent(s)} c ${Buffer.from(s).toString('base64')}`, [s])).toBe('a *** b *** c ***');
    expect(scrub('the word test stays', ['test'])).toBe('the word test stays');
  });

  test('the logger scrubs remembered secrets from every line', () => {
    const lines: string[] = [];
    rememberSecrets([PW]);
    createLogger({ json: true, write: (l) => lines.push(l) }).warn(`connect failed with ${PW}`, { url: `redis://:${PW}@h` });
    expect(lines.join('\n')).not.toContain(PW);
    expect(lines[0]).toContain('connect failed with ***');
  });
});

describe('configuration errors', () => {
  test('an unknown key names the key and the closest setting, never its parent object (the issue\'s example)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-redact-'));
    writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ api: { prot: 8080 } }));
    let message = '';
    try {
      loadConfig({ env: { PINPIPE_API_KEY: KEY, PINPIPE_MYSQL_URL: `mysql://u:${PW}@h/db` }, cwd: dir, configFile: 'c.json' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('invalid configuration:\n  api.prot: unknown setting; did you mean api.port?');
  });

  test('a bad secret value is shown as (hidden)', () => {
    expect(() => loadConfig({ env: { PINPIPE_API_KEY: 'short-s3cret' }, cwd: os.tmpdir() })).toThrow('api.apiKey = (hidden): must be at least 16 characters');
  });
});

describe('the CLI', () => {
  const run = async (args: string[], env: Record<string, string>) => {
    const p = startCli('pinpipe', args, { env });
    const e = await exitWithin(p, 30_000);
    return { code: e.code, text: p.stdout() + p.stderr() };
  };
  const env = { PINPIPE_API_KEY: KEY, PINPIPE_KAFKA_SASL_PASSWORD: PW, PINPIPE_REDIS_URL: `redis://:${PW}@127.0.0.1:1`, AWS_SECRET_ACCESS_KEY: 'aws-secret-value-42' };

  test('the issue\'s example: exit 2, the key nowhere in the output', async () => {
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
