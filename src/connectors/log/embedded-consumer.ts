import { PinpipeError } from '../../core/errors.js';
import type { ConsumerOptions, LogConsumer } from './types.js';
import type { TopicRegistry } from './embedded-topics.js';

// Placeholder until the consumer lands (the producer and admin work already).
export function EmbeddedConsumer(_t: TopicRegistry, _d: string, _o: ConsumerOptions): LogConsumer {
  throw new PinpipeError('INTERNAL', 'the embedded log consumer is not implemented yet');
}
