/** The Redis realtime store beyond the shared realtime conformance suite, against the Redis of the services (TEST_REDIS_URL). */
import { expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisRealtime } from '../../src/connectors/realtime/redis.js';
import { loadConfig } from '../../src/core/config.js';
import { METRICS } from '../conformance/realtime.conformance.js';
import { need, redisConfig } from '../support/services.js';

test('redis realtime: documented key layout, TTLs, and trimming of old minutes', async () => {
  const r = redisConfig({ 'realtime.redis.windowTtl': '10m' });
  const { prefix } = r;
  const rt = new RedisRealtime(r.cfg);
  const raw = new Redis(need('TEST_REDIS_URL'));
  try {
    await rt.connect(METRICS);
    await rt.commit('grp', { offsets: { 'pin:0': 1 }, watermark: 5, counters: {} }, [
      { metric: 'R1', minute: '2026-11-27T10:00:00Z', key: 'art', values: { postings: 3 }, final: false },
      { metric: 'R1', minute: '2026-11-27T10:00:00Z', key: '', values: { postings: 1 }, final: true },
    ]);
    expect(await raw.hgetall(`${prefix}rt:R1:2026-11-27T10:00:00.000Z`)).toEqual({
      art: '{"v":{"postings":3},"f":false}',
      '': '{"v":{"postings":1},"f":true}',
    });
    expect(await raw.zrange(`${prefix}rt:R1:minutes`, 0, -1, 'WITHSCORES')).toEqual(['2026-11-27T10:00:00.000Z', String(Date.parse('2026-11-27T10:00:00Z'))]);
    const ttl = await raw.pttl(`${prefix}rt:R1:2026-11-27T10:00:00.000Z`);
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    expect(JSON.parse((await raw.get(`${prefix}checkpoint:grp`))!)).toEqual({ offsets: { 'pin:0': 1 }, watermark: 5, counters: {} });
    expect(await raw.pttl(`${prefix}checkpoint:grp`)).toBe(-1);
    // 11 minutes later: the 10:00 window falls out of the 10-minute retention index
    await rt.commit('grp', { offsets: { 'pin:0': 2 }, watermark: 6, counters: {} }, [
      { metric: 'R1', minute: '2026-11-27T10:11:00Z', key: 'art', values: { postings: 1 }, final: false },
    ]);
    expect(await raw.zrange(`${prefix}rt:R1:minutes`, 0, -1)).toEqual(['2026-11-27T10:11:00.000Z']);
    expect((await rt.read('R1')).map((r) => r.minute)).toEqual(['2026-11-27T10:11:00.000Z']);
  } finally {
    raw.disconnect();
    await rt.close();
    await r.drop();
  }
});

test('redis realtime: an unreachable server is REALTIME_UNAVAILABLE, retriable, without credentials', async () => {
  const rt = new RedisRealtime(loadConfig({ env: {}, flags: { 'realtime.redis.url': 'redis://user:s3cret-pass@127.0.0.1:1/0' } }));
  try {
    const err = await rt.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'REALTIME_UNAVAILABLE', retriable: true });
    expect(String((err as Error).message)).toContain('127.0.0.1:1');
    expect(String((err as Error).message)).not.toContain('s3cret');
  } finally {
    await rt.close();
  }
});
