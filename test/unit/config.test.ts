import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { PinpipeError } from '../../src/core/errors.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'pinpipe-config-'));

describe('configuration precedence: flags > env > file > defaults', () => {
  test('defaults are the embedded stack', () => {
    const cfg = loadConfig({ env: {}, cwd: tmp() });
    expect(cfg.log.kind).toBe('embedded');
    expect(cfg.lake.kind).toBe('local');
    expect(cfg.store.kind).toBe('embedded');
    expect(cfg.realtime.kind).toBe('embedded');
    expect(cfg.log.partitions).toBe(3);
    expect(cfg.api.host).toBe('127.0.0.1');
    expect(cfg.api.port).toBe(8080);
    expect(cfg.stream.lateness).toBe(10_000);
    expect(cfg.stream.joinWindow).toBe(30_000);
    expect(path.basename(cfg.dataDir)).toBe('.pinpipe');
  });

  test('file < env < flags', () => {
    const dir = tmp();
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ api: { port: 1111, host: '0.0.0.0' }, stream: { lateness: '5s' } }));
    const fileOnly = loadConfig({ env: {}, cwd: dir, configFile: file });
    expect(fileOnly.api.port).toBe(1111);
    expect(fileOnly.stream.lateness).toBe(5000);
    const withEnv = loadConfig({ env: { PINPIPE_API_PORT: '2222' }, cwd: dir, configFile: file });
    expect(withEnv.api.port).toBe(2222);
    expect(withEnv.api.host).toBe('0.0.0.0');
    const withFlag = loadConfig({ env: { PINPIPE_API_PORT: '2222' }, cwd: dir, configFile: file, flags: { 'api.port': 3333 } });
    expect(withFlag.api.port).toBe(3333);
  });

  test('config/pinpipe.json in the working directory is read when no --config is given', () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'config'));
    writeFileSync(path.join(dir, 'config', 'pinpipe.json'), JSON.stringify({ log: { partitions: 7 } }));
    expect(loadConfig({ env: {}, cwd: dir }).log.partitions).toBe(7);
  });

  test('a connection setting implies its real system; an explicit kind wins', () => {
    const cfg = loadConfig({ env: { PINPIPE_KAFKA_BROKERS: 'a:9092, b:9092', PINPIPE_REDIS_URL: 'redis://x:6379' }, cwd: tmp() });
    expect(cfg.log.kind).toBe('kafka');
    expect(cfg.log.kafka.brokers).toEqual(['a:9092', 'b:9092']);
    expect(cfg.realtime.kind).toBe('redis');
    expect(cfg.lake.kind).toBe('local');
    const explicit = loadConfig({ env: { PINPIPE_KAFKA_BROKERS: 'a:9092', PINPIPE_LOG: 'embedded' }, cwd: tmp() });
    expect(explicit.log.kind).toBe('embedded');
  });
});

describe('bad values stop with a message naming setting, value and what is allowed', () => {
  function problem(fn: () => unknown): PinpipeError {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(PinpipeError);
      expect((e as PinpipeError).exitCode).toBe(2);
      return e as PinpipeError;
    }
    throw new Error('expected a configuration error');
  }

  test('every problem is reported at once', () => {
    const e = problem(() => loadConfig({ env: { PINPIPE_LOG: 'rabbit', PINPIPE_API_PORT: '99999' }, cwd: tmp() }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('log.kind = "rabbit": must be one of "embedded", "kafka"');
    expect(e.message).toContain('api.port = "99999": must be <= 65535');
  });

  test('unknown keys in a config file are rejected', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ api: { prot: 1 } }));
    const e = problem(() => loadConfig({ env: {}, cwd: dir, configFile: 'c.json' }));
    expect(e.message).toContain('api.prot: unknown setting; did you mean api.port?');
  });

  test('durations must parse', () => {
    const e = problem(() => loadConfig({ env: {}, cwd: tmp(), flags: { 'stream.lateness': 'soon' } }));
    expect(e.message).toContain('stream.lateness = "soon": must be a duration');
  });

  test('secrets are never echoed', () => {
    const e = problem(() => loadConfig({ env: { PINPIPE_API_KEY: 'short' }, cwd: tmp() }));
    expect(e.message).toContain('api.apiKey = (hidden)');
    expect(e.message).not.toContain('short"');
  });

  test('kafka without brokers, s3 without bucket, bad URLs', () => {
    const e = problem(() => loadConfig({ env: { PINPIPE_LOG: 'kafka', PINPIPE_LAKE: 's3', PINPIPE_STORE: 'mysql', PINPIPE_MYSQL_URL: 'http://x' }, cwd: tmp() }));
    expect(e.message).toContain('log.kafka.brokers');
    expect(e.message).toContain('lake.s3.bucket');
    expect(e.message).toContain('store.mysql.url');
  });

  test('checks across settings are reported together with the others', () => {
    const e = problem(() => loadConfig({ env: { PINPIPE_LOG: 'kafka', PINPIPE_API_PORT: '99999', PINPIPE_REDIS_URL: 'http://r' }, cwd: tmp() }));
    expect(e.message.split('\n')).toEqual([
      'invalid configuration:',
      '  api.port = "99999": must be <= 65535',
      '  log.kafka.brokers: required when log.kind is kafka (set PINPIPE_KAFKA_BROKERS=host:port,...)',
      '  realtime.redis.url: must be a redis:// or rediss:// URL when realtime.kind is redis (set PINPIPE_REDIS_URL)',
    ]);
  });

  test('a config file that is not JSON', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'c.json'), '{ nope');
    const e = problem(() => loadConfig({ env: {}, cwd: dir, configFile: 'c.json' }));
    expect(e.message).toContain('is not valid JSON');
  });
});

describe('environment variables (issue 11, item 10)', () => {
  test('an unknown PINPIPE_* variable gets a warning naming the closest known one; known ones and other variables none', async () => {
    const { unknownEnvWarnings } = await import('../../src/core/config.js');
    expect(unknownEnvWarnings({ PINPIPE_API_KEYS: 'x', PINPIPE_DATADIR: '/x', PINPIPE_API_KEY: 'k', PINPIPE_METRICS_DIR: 'm', PINPIPE_LOG_LEVEL: 'debug', PATH: '/bin' })).toEqual([
      'PINPIPE_API_KEYS is not a pinpipe setting and is ignored; did you mean PINPIPE_API_KEY (api.apiKey)?',
      'PINPIPE_DATADIR is not a pinpipe setting and is ignored; did you mean PINPIPE_DATA_DIR (dataDir)?',
    ]);
    expect(unknownEnvWarnings({ PINPIPE_WHOLLY_DIFFERENT_THING: '1' })).toEqual(['PINPIPE_WHOLLY_DIFFERENT_THING is not a pinpipe setting and is ignored; the known variables are listed under Configuration in README.md']);
  });

  test.each([
    ['PINPIPE_PARTITIONS', '1e3'],
    ['PINPIPE_PARTITIONS', '3.0'],
    ['PINPIPE_API_PORT', '0x1F90'],
    ['PINPIPE_METRICS_PORT', '9090 x'],
    ['PINPIPE_API_BULK_WORKERS', '1.5'],
  ])('integer settings take digits only from the environment: %s=%s is refused, naming the variable', (name, value) => {
    expect(() => loadConfig({ env: { [name]: value }, cwd: tmp() })).toThrow(`${name} (`);
    expect(() => loadConfig({ env: { [name]: value }, cwd: tmp() })).toThrow(`= ${JSON.stringify(value)}: must be an integer (digits only)`);
  });

  test('digits are accepted, and PINPIPE_METRICS_DIR sets metrics.dir', () => {
    const cfg = loadConfig({ env: { PINPIPE_PARTITIONS: '12', PINPIPE_API_PORT: ' 9000 ', PINPIPE_METRICS_DIR: 'metrics' }, cwd: tmp() });
    expect([cfg.log.partitions, cfg.api.port, cfg.metrics.dir]).toEqual([12, 9000, 'metrics']);
  });
});
