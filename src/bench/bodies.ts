/**
 * Request bodies for the API benchmarks, from the project's generator (generatePosting): single
 * records rotate pin, geo, user over a pool of postings (as the emulator posts them), and bulk
 * bodies carry `perRequest` mixed records.
 */
import { generatePosting } from '../connectors/source/generator.js';
import { TOPICS } from '../core/records.js';

export interface SingleBody {
  path: string;
  body: string;
}

/** 3·postings single-record requests: request i is record i%3 of posting ⌊i/3⌋. */
export function singleBodies(seed: number, postings: number): SingleBody[] {
  const out: SingleBody[] = [];
  for (let k = 0; k < postings; k++) {
    const p = generatePosting(seed, k);
    out.push({ path: '/pin', body: JSON.stringify(p.pin) }, { path: '/geo', body: JSON.stringify(p.geo) }, { path: '/user', body: JSON.stringify(p.user) });
  }
  return out;
}

/** `count` bulk bodies of `perRequest` records each (consecutive postings, all three types). */
export function bulkBodies(seed: number, count: number, perRequest: number): string[] {
  const out: string[] = [];
  let k = 0;
  for (let b = 0; b < count; b++) {
    const items: string[] = [];
    while (items.length < perRequest) {
      const p = generatePosting(seed, k++);
      const recs = [p.pin, p.geo, p.user];
      for (let t = 0; t < 3 && items.length < perRequest; t++) items.push(`{"type":"${TOPICS[t]}","record":${JSON.stringify(recs[t])}}`);
    }
    out.push(`{"records":[${items.join(',')}]}`);
  }
  return out;
}
