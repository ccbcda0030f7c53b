/** fast-check arbitraries shared by the cleaning property tests (fuzz-clean, clean-fast). */
import fc from 'fast-check';
import { generatePosting } from '../../src/connectors/source/generator.js';
import { TOPICS } from '../../src/core/records.js';

export const anyType = fc.constantFrom(...TOPICS);

/** a valid stamped record of a generated posting */
export const validStamped = fc
  .tuple(
    anyType,
    fc.integer({ min: 1, max: 1000 }),
    fc.integer({ min: 0, max: 20_000 }),
    fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
  )
  .map(([type, seed, i, at]) => {
    const rec = {
      ...(generatePosting(seed, i)[type] as unknown as Record<string, unknown>),
      event_id: `e-${seed}-${i}-${type}`,
      ingested_at: at.toISOString(),
    };
    return { type, rec };
  });
