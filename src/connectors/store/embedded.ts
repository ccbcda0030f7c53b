import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';

// Placeholder until the implementation lands.
export class EmbeddedStore {
  constructor(_cfg: Config) {
    throw new PinpipeError('INTERNAL', 'EmbeddedStore is not implemented yet');
  }
}
