/**
 * Where `pinpipe emulate` gets its rows: the built-in seeded generator (generator.ts) or the
 * seed's MySQL tables pinterest_data, geolocation_data, user_data (mysql.ts).
 */
import type { Connector } from '../types.js';
import type { RawGeo, RawPin, RawUser } from '../../core/records.js';

export interface Posting {
  pin: RawPin;
  geo: RawGeo;
  user: RawUser;
}

export interface Source extends Connector {
  readonly kind: 'generator' | 'mysql';
  /** number of rows (postings) available */
  size(): Promise<number>;
  /** the posting at row index i (0 ≤ i < size) */
  row(i: number): Promise<Posting>;
}
