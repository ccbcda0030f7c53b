import { expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisRealtime } from '../../src/connectors/realtime/redis.js';
import { loadConfig } from '../../src/core/config.js';
import { METRICS, realtimeConformance } from './realtime.conformance.js';

const url = process.env.TEST_REDIS_URL;
const need = () => {
  if (!url) throw new Error('TEST_REDIS_URL is not set: run `npm run services:up` and `eval "$(npm run -s services:env)"` first (npm test does both)');
  return url;
};
const cfgFor = (keyPrefix: string, windowTtl = '7d') => loadConfig({ env: {}, flags: { 'realtime.redis.url': need(), 'realtime.redis.keyPrefix': keyPrefix, 'realtime.redis.windowTtl': windowTtl } });
const newPrefix = () => `pinpipe-test:${randomBytes(6).toString('hex')}:`;

async function dropPrefix(prefix: string): Promise<void> {
  const r = new Redis(need());
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

realtimeConformance('redis', async () => {
  const cfg = cfgFor(newPrefix());
  return { realtime: new RedisRealtime(cfg), reopen: () => new RedisRealtime(cfg), cleanup: () => dropPrefix(cfg.realtime.redis.keyPrefix) };
});

test('redis realtime: documented key layout, TTLs, and trimming of old minutes', async () => {
  const prefix = newPrefix();
  const rt = new RedisRealtime(cfgFor(prefix, '10m'));
  const raw = new Redis(need());
  try {
    await rt.connect(METRICS);
    await rt.commit('grp', { offsets: { 'pin:0': 1 }, watermark: 5, counters: {} }, [
      { metric: 'R1', minute: '2026-11-27T10:00:00Z', key: 'art', values: { postings: 3 }, final: false },
      { metric: 'R1', minute: '2026-11-27T10:00:00Z', key: '', values: { postings: 1 }, final: true },
    ]);
    expect(await raw.hgetall(`${prefix}rt:R1:2026-11-27T10:00:00.000Z`)).toEqual({ art: '{"v":{"postings":3},"f":false}', '': '{"v":{"postings":1},"f":true}' });
    expect(await raw.zrange(`${prefix}rt:R1:minutes`, 0, -1, 'WITHSCORES')).toEqual(['2026-11-27T10:00:00.000Z', String(Date.parse('2026-11-27T10:00:00Z'))]);
    const ttl = await raw.pttl(`${prefix}rt:R1:2026-11-27T10:00:00.000Z`);
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    expect(JSON.parse((await raw.get(`${prefix}checkpoint:grp`))!)).toEqual({ offsets: { 'pin:0': 1 }, watermark: 5, counters: {} });
    expect(await raw.pttl(`${prefix}checkpoint:grp`)).toBe(-1);
    // 11 minutes later: the 10:00 window falls out of the 10-minute retention index
    await rt.commit('grp', { offsets: { 'pin:0': 2 }, watermark: 6, counters: {} }, [{ metric: 'R1', minute: '2026-11-27T10:11:00Z', key: 'art', values: { postings: 1 }, final: false }]);
    expect(await raw.zrange(`${prefix}rt:R1:minutes`, 0, -1)).toEqual(['2026-11-27T10:11:00.000Z']);
    expect((await rt.read('R1')).map((r) => r.minute)).toEqual(['2026-11-27T10:11:00.000Z']);
  } finally {
    raw.disconnect();
    await rt.close();
    await dropPrefix(prefix);
  }
});

test('redis realtime: an unreachable server is REALTIME_UNAVAILABLE, retriable, without credentials', async () => {
  const rt = new RedisRealtime(loadConfig({ env: {}, flags: { 'realtime.redis.url': 'redis://user:s3cret-pass@127.0.0.1:1/0' } }));
  try {
    const err = await rt.connect().then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'REALTIME_UNAVAILABLE', retriable: true });
    expect(String((err as Error).message)).toContain('127.0.0.1:1');
    expect(String((err as Error).message)).not.toContain('s3cret');
  } finally {
    await rt.close();
  }
});
