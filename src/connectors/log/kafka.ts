import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';

// Placeholder until the implementation lands.
export class KafkaLog {
  constructor(_cfg: Config) {
    throw new PinpipeError('INTERNAL', 'KafkaLog is not implemented yet');
  }
}
