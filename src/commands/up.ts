import type { CommandContext } from './context.js';
import { PinpipeError } from '../core/errors.js';

// Placeholder until the command lands.
export async function run(_opts: Record<string, unknown>, _ctx: CommandContext): Promise<number> {
  throw new PinpipeError('INTERNAL', 'up is not implemented yet');
}
