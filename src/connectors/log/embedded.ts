import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';

// Placeholder until the implementation lands.
export class EmbeddedLog {
  constructor(_cfg: Config) {
    throw new PinpipeError('INTERNAL', 'EmbeddedLog is not implemented yet');
  }
}
