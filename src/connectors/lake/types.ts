/**
 * The lake: an object store with the key layout of pipeline.md. Implemented by a local directory
 * (local.ts) and by S3 or any S3-compatible store (s3.ts); both pass
 * test/conformance/lake.conformance.ts. Writes are atomic: an object is either whole or absent.
 */
export interface LakeObject {
  key: string;
  size: number;
}

export interface Lake {
  readonly kind: 'local' | 's3';
  /** atomically create or replace an object */
  put(key: string, body: Buffer | string): Promise<void>;
  /** the object's bytes, or null if absent */
  get(key: string): Promise<Buffer | null>;
  exists(key: string): Promise<boolean>;
  /** every object whose key starts with prefix, sorted by key */
  list(prefix: string): Promise<LakeObject[]>;
  delete(keys: string[]): Promise<void>;
  /**
   * A local directory holding the objects under prefix, for the engine (DuckDB) to read.
   * Local lake: the directory itself. S3: a cache under the data dir, filled with what is
   * missing or changed.
   */
  localDir(prefix: string): Promise<string>;
  close(): Promise<void>;
}

/** Raw-zone key of a chunk: raw/<topic>/dt=YYYY-MM-DD/hr=HH/<topic>+<partition>+<first offset 10 digits>.ndjson.gz */
export function rawChunkKey(topic: string, day: string, hour: string, partition: number, firstOffset: number): string {
  return `raw/${topic}/dt=${day}/hr=${hour}/${topic}+${partition}+${String(firstOffset).padStart(10, '0')}.ndjson.gz`;
}

/** Parse a raw chunk key; null if it is not one. */
export function parseRawChunkKey(key: string): { topic: string; day: string; hour: string; partition: number; firstOffset: number } | null {
  const m = /^raw\/([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/hr=(\d{2})\/([^/+]+)\+(\d+)\+(\d{10,})\.ndjson\.gz$/.exec(key);
  if (!m || m[1] !== m[4]) return null;
  return { topic: m[1]!, day: m[2]!, hour: m[3]!, partition: Number(m[5]), firstOffset: Number(m[6]) };
}

/** Marker that a raw day partition of a topic is complete. */
export const dayMarkerKey = (topic: string, day: string): string => `raw/${topic}/dt=${day}/_SUCCESS`;
