/**
 * One function opens the connectors a role needs from config and gives them back as one
 * disposable: `await using c = await open(cfg, { log: true, lake: true })` (or `c.close()` in a
 * finally). Every connector is created by the registry and connected, in the order log, lake,
 * store, realtime; close() closes them all in reverse order (also when one fails, then the first
 * failure is thrown), and health() asks each of them. Also the log's topics, made in one place.
 */
import type { Config } from '../core/config.js';
import { topicName } from '../core/config.js';
import { errorMessage } from '../core/errors.js';
import { DEAD_LETTER_TOPIC, TOPICS, type RecordType } from '../core/records.js';
import type { Lake } from './lake/types.js';
import type { Log } from './log/types.js';
import type { RealtimeShape, RealtimeStore } from './realtime/types.js';
import { createLake, createLog, createRealtime, createStore } from './registry.js';
import type { ServingStore } from './store/types.js';
import type { Connector } from './types.js';

interface Kinds {
  log: Log;
  lake: Lake;
  store: ServingStore;
  realtime: RealtimeStore;
}

/** which connectors to open; `realtime` gives the metric shapes the realtime store is connected with */
export interface Needs {
  log?: boolean;
  lake?: boolean;
  store?: boolean;
  realtime?: RealtimeShape[];
}

export interface OpenOptions {
  /**
   * false: create the connectors without connecting them (for a caller that connects them itself,
   * e.g. to report a failure instead of stopping; every connector also connects on first use)
   */
  connect?: boolean;
}

export interface Health {
  kind: string;
  ok: boolean;
  /** why not (the connector's error message) */
  error?: string;
}

/** the opened connectors, one field per kind asked for, and their shared lifecycle */
export type Connections<N extends Needs> = { [K in keyof Kinds as N[K & keyof N] extends false | undefined ? never : K]: Kinds[K] } & {
  close(): Promise<void>;
  health(): Promise<Partial<Record<keyof Kinds, Health>>>;
  [Symbol.asyncDispose](): Promise<void>;
};

const ORDER: (keyof Kinds)[] = ['log', 'lake', 'store', 'realtime'];
const CREATE: { [K in keyof Kinds]: (cfg: Config) => Promise<Kinds[K]> } = { log: createLog, lake: createLake, store: createStore, realtime: createRealtime };

export async function open<N extends Needs>(cfg: Config, needs: N, opts: OpenOptions = {}): Promise<Connections<N>> {
  const opened: [keyof Kinds, Connector][] = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      let first: unknown = null;
      for (const [, c] of [...opened].reverse()) {
        try {
          await c.close();
        } catch (e) {
          first ??= e;
        }
      }
      if (first !== null) throw first;
    })());
  try {
    for (const kind of ORDER) {
      if (!needs[kind]) continue;
      const c = await CREATE[kind](cfg);
      opened.push([kind, c]);
      if (opts.connect === false) continue;
      if (kind === 'realtime') await (c as RealtimeStore).connect(needs.realtime);
      else await c.connect();
    }
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
  const health = async () => {
    const out: Partial<Record<keyof Kinds, Health>> = {};
    await Promise.all(
      opened.map(async ([kind, c]) => {
        try {
          await c.health();
          out[kind] = { kind: c.kind, ok: true };
        } catch (e) {
          out[kind] = { kind: c.kind, ok: false, error: errorMessage(e) };
        }
      }),
    );
    return out;
  };
  return Object.assign(Object.fromEntries(opened), { close, health, [Symbol.asyncDispose]: close }) as unknown as Connections<N>;
}

/** the log's topic names (with the configured prefix): pin, geo, user and the dead-letter topic */
export function logTopics(cfg: Config): { records: Record<RecordType, string>; deadLetter: string; all: string[] } {
  const records = Object.fromEntries(TOPICS.map((t) => [t, topicName(cfg, t)])) as Record<RecordType, string>;
  const deadLetter = topicName(cfg, DEAD_LETTER_TOPIC);
  return { records, deadLetter, all: [...Object.values(records), deadLetter] };
}

/** create the topics of the pipeline (pin, geo, user and the dead-letter topic) where missing */
export async function ensureTopics(log: Log, cfg: Config): Promise<void> {
  const admin = log.admin();
  try {
    await admin.ensureTopics(logTopics(cfg).all);
  } finally {
    await admin.close();
  }
}
