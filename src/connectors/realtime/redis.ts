import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';

// Placeholder until the implementation lands.
export class RedisRealtime {
  constructor(_cfg: Config) {
    throw new PinpipeError('INTERNAL', 'RedisRealtime is not implemented yet');
  }
}
