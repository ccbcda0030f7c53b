/** What every command receives: validated config, a logger, and a signal for SIGINT/SIGTERM. */
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';

export interface CommandContext {
  config: Config;
  logger: Logger;
  /** aborted on SIGINT or SIGTERM: drain, flush, commit, then return 0 */
  signal: AbortSignal;
  /** stdout is a terminal: human output, progress, colors */
  tty: boolean;
  /** where results go (stdout); progress and logs go to stderr */
  out: (text: string) => void;
  /** the --config file given on the command line, if any (for roles started as child processes) */
  configFile?: string;
}
