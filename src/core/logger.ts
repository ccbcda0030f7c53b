/**
 * Logging: human lines on a TTY (chalk, respecting NO_COLOR), one JSON object per line
 * otherwise. Always to stderr, so stdout stays for results. Never log secrets.
 */
import chalk from 'chalk';
import { scrubKnown } from './redact.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export interface LoggerOptions {
  component?: string;
  level?: Level;
  json?: boolean;
  write?: (line: string) => void;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? ((process.env.PINPIPE_LOG_LEVEL as Level) || 'info');
  const json = opts.json ?? !process.stderr.isTTY;
  const sink = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const write = (line: string) => sink(scrubKnown(line));
  const color = chalk.level > 0 && !process.env.NO_COLOR;
  const paint: Record<Level, (s: string) => string> = color
    ? { debug: chalk.gray, info: chalk.cyan, warn: chalk.yellow, error: chalk.red }
    : { debug: (s) => s, info: (s) => s, warn: (s) => s, error: (s) => s };

  const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    if (json) {
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, component: opts.component, msg, ...fields }));
    } else {
      const extra = fields && Object.keys(fields).length ? ' ' + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : '';
      write(`${paint[lvl](lvl.padEnd(5))} ${opts.component ? `[${opts.component}] ` : ''}${msg}${extra}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (component) => createLogger({ ...opts, level, json, write: sink, component: opts.component ? `${opts.component}.${component}` : component }),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };
