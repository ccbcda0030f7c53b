/**
 * Random choices of a test (a crash test's kill schedule) from a seed, so that a failure can be
 * replayed: the seed is TEST_SEED when set, else a fresh one, and it is printed with the label.
 */
import { mulberry32 } from '../../src/core/prng.js';

export interface Seeded {
  seed: number;
  /** a float in [0, 1) */
  next(): number;
  /** a float in [lo, hi) */
  between(lo: number, hi: number): number;
}

export function seeded(label: string): Seeded {
  const fromEnv = process.env.TEST_SEED;
  const seed = fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(`${label}: seed ${seed} (replay with TEST_SEED=${seed})\n`);
  const next = mulberry32(seed);
  return { seed, next, between: (lo, hi) => lo + next() * (hi - lo) };
}
