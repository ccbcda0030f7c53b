import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';

// Placeholder until the implementation lands.
export class EmbeddedRealtime {
  constructor(_cfg: Config) {
    throw new PinpipeError('INTERNAL', 'EmbeddedRealtime is not implemented yet');
  }
}
