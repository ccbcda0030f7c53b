import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';

// Placeholder until the implementation lands.
export class MysqlStore {
  constructor(_cfg: Config) {
    throw new PinpipeError('INTERNAL', 'MysqlStore is not implemented yet');
  }
}
