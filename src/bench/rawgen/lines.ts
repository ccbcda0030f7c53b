/**
 * Record lines for the benchmark's raw-zone generator and log pre-fill, built with string
 * templates. Values come from the project's generator (generatePosting) for a pool of postings;
 * posting k combines a pin, a geo and a user record from three independent pool picks and gets
 * its own index/ind (= k), unique_id, event_id and ingested_at. Field order is the order the API
 * writes to the log (the record as posted, then event_id, ingested_at), and a raw-zone line adds
 * `_partition` and `_offset` like consume-batch does (docs/design.md "Raw zone").
 */
import { generatePosting } from '../../connectors/source/generator.js';
import { deriveSeed } from '../../core/prng.js';
import { TOPICS } from '../../core/records.js';

export type TopicIndex = 0 | 1 | 2;

export interface Pool {
  size: number;
  /** per topic: the record's JSON members after index/unique_id (pin) or ind (geo, user), no braces */
  bodies: [string[], string[], string[]];
}

export const DEFAULT_POOL_SIZE = 32_768;

/** Build the pool: generatePosting(seed, j) for j < size, as JSON member text. */
export function buildPool(seed: number, size = DEFAULT_POOL_SIZE): Pool {
  if (!Number.isInteger(Math.log2(size))) throw new RangeError(`pool size must be a power of two, got ${size}`);
  const bodies: Pool['bodies'] = [[], [], []];
  for (let j = 0; j < size; j++) {
    const p = generatePosting(seed, j, size);
    const { index: _i, unique_id: _u, ...pin } = p.pin;
    const { ind: _g, ...geo } = p.geo;
    const { ind: _s, ...user } = p.user;
    bodies[0].push(JSON.stringify(pin).slice(1, -1));
    bodies[1].push(JSON.stringify(geo).slice(1, -1));
    bodies[2].push(JSON.stringify(user).slice(1, -1));
  }
  return { size, bodies };
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX3 = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));
const VARIANT = ['8', '9', 'a', 'b'];
const hex8 = (n: number): string => HEX2[n >>> 24]! + HEX2[(n >>> 16) & 255]! + HEX2[(n >>> 8) & 255]! + HEX2[n & 255]!;

/** A version-4-shaped UUID that is a pure function of (seed, k) (table lookups: it is on the hot path). */
export function uuidOf(seed: number, k: number): string {
  const a = deriveSeed(seed, k, 21);
  const b = deriveSeed(seed, k, 22);
  const c = deriveSeed(seed, k, 23);
  const d = deriveSeed(seed, k, 24);
  return `${hex8(a)}-${HEX2[b >>> 24]}${HEX2[(b >>> 16) & 255]}-4${HEX3[b & 0xfff]}-${VARIANT[c >>> 30]}${HEX3[(c >>> 16) & 0xfff]}-${HEX2[(c >>> 8) & 255]}${HEX2[c & 255]}${hex8(d)}`;
}

const MS3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** toISOString with the second's prefix cached (consecutive records share it). */
export function isoMaker(): (ms: number) => string {
  let lastSec = Number.NaN;
  let prefix = '';
  return (ms) => {
    const sec = Math.floor(ms / 1000);
    if (sec !== lastSec) {
      lastSec = sec;
      prefix = new Date(sec * 1000).toISOString().slice(0, 20);
    }
    return prefix + MS3[ms - sec * 1000]! + 'Z';
  };
}

/** The event_id of record `topic` of posting k (the emulator's key shape). */
export const eventIdOf = (seed: number, k: number, topic: TopicIndex): string => `emu-${seed}-bench-${k}-${TOPICS[topic]}`;

/** Which pool entry posting k uses for a topic. */
export const poolPick = (seed: number, k: number, topic: TopicIndex, size: number): number => deriveSeed(seed, k, 31 + topic) & (size - 1);

/**
 * The log value of record `topic` of posting k: exactly what the API appends (record as posted,
 * then event_id and ingested_at), without the closing brace so callers can extend it.
 */
export function openValue(pool: Pool, seed: number, k: number, topic: TopicIndex, ingestedAt: string): string {
  const body = pool.bodies[topic][poolPick(seed, k, topic, pool.size)]!;
  const head = topic === 0 ? `{"index":${k},"unique_id":"${uuidOf(seed, k)}",` : `{"ind":${k},`;
  return `${head}${body},"event_id":"${eventIdOf(seed, k, topic)}","ingested_at":"${ingestedAt}"`;
}

/** The log value (a complete JSON object). */
export const logValue = (pool: Pool, seed: number, k: number, topic: TopicIndex, ingestedAt: string): string =>
  openValue(pool, seed, k, topic, ingestedAt) + '}';

/** The raw-zone line: the log value plus `_partition` and `_offset`. */
export const rawLine = (pool: Pool, seed: number, k: number, topic: TopicIndex, ingestedAt: string, partition: number, offset: number): string =>
  `${openValue(pool, seed, k, topic, ingestedAt)},"_partition":${partition},"_offset":${offset}}`;
