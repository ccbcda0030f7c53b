import { RedisRealtime } from '../../src/connectors/realtime/redis.js';
import { redisConfig } from '../support/services.js';
import { realtimeConformance } from './realtime.conformance.js';

realtimeConformance('redis', async () => {
  const r = redisConfig({ 'realtime.redis.windowTtl': '7d' });
  return { realtime: new RedisRealtime(r.cfg), reopen: () => new RedisRealtime(r.cfg), cleanup: r.drop };
});
