import { kafkaFixture } from '../support/kafka.js';
import { logConformance } from './log.conformance.js';

logConformance('kafka', async () => {
  const fx = kafkaFixture();
  return { log: fx.log, topic: fx.topic, reopen: async () => fx.newLog(), cleanup: fx.cleanup };
});
