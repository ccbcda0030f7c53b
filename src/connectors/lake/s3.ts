import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';

// Placeholder until the implementation lands.
export class S3Lake {
  constructor(_cfg: Config) {
    throw new PinpipeError('INTERNAL', 'S3Lake is not implemented yet');
  }
}
