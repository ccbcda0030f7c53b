import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';

// Placeholder until the implementation lands.
export class LocalLake {
  constructor(_cfg: Config) {
    throw new PinpipeError('INTERNAL', 'LocalLake is not implemented yet');
  }
}
