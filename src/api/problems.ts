/**
 * The problems of a request, bounded: the first MAX_LISTED are listed with their field (and bulk
 * item), the rest are only counted, per field (item positions left out) and reason. A /bulk of
 * 10,000 empty records has 110,000 problems; its answer lists 100 and counts the rest, a few KB
 * instead of 9.7 MB, and the problems are never all held in memory at once.
 */
import type { FieldError } from './reply.js';

export const MAX_LISTED = 100;
/** distinct (field, reason) pairs counted; more are summed up under "(other)" */
const MAX_COUNTED = 1000;

export interface ProblemCount {
  /** the field with item positions left out: `records[].record.index` */
  field: string;
  message: string;
  count: number;
}

export class Problems {
  readonly listed: FieldError[] = [];
  total = 0;
  private readonly counts = new Map<string, ProblemCount>();
  private readonly items = new Set<number>();

  constructor(first: Iterable<FieldError> = []) {
    for (const p of first) this.add(p);
  }

  add(p: FieldError): void {
    this.total++;
    if (p.item !== undefined) this.items.add(p.item);
    if (this.listed.length < MAX_LISTED) this.listed.push(p);
    const field = p.field.replace(/\[\d+\]/g, '[]');
    let key = `${field}\u0000${p.message}`;
    let c = this.counts.get(key);
    if (!c && this.counts.size >= MAX_COUNTED) {
      key = '(other)';
      c = this.counts.get(key);
      if (!c) this.counts.set(key, (c = { field: '(other)', message: 'other problems', count: 0 }));
    }
    if (c) c.count++;
    else this.counts.set(key, { field, message: p.message, count: 1 });
  }

  /** bulk items with at least one problem */
  get badItems(): number {
    return this.items.size;
  }

  /** the counts, when some problems are not listed: the total and the MAX_LISTED most frequent (field, reason) pairs */
  summary(): { fields_total: number; field_counts: ProblemCount[] } | undefined {
    if (this.total <= this.listed.length) return undefined;
    return { fields_total: this.total, field_counts: [...this.counts.values()].sort((a, b) => b.count - a.count).slice(0, MAX_LISTED) };
  }
}
