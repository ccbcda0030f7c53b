/**
 * The lake: an object store of keys and bytes (the pipeline's key layout is in
 * src/pipeline/raw-keys.ts). Implemented by a local directory
 * (local.ts) and by S3 or any S3-compatible store (s3.ts); both pass
 * test/conformance/lake.conformance.ts. Writes are atomic: an object is either whole or absent.
 */
import type { Connector } from '../types.js';
export interface LakeObject {
  key: string;
  size: number;
}

export interface Lake extends Connector {
  readonly kind: 'local' | 's3';
  /** atomically create or replace an object */
  put(key: string, body: Buffer | string): Promise<void>;
  /**
   * atomically create or replace an object with the bytes of a local file, which is consumed
   * (local lake: the file is moved in, without reading it; S3: uploaded, then removed)
   */
  putFile(key: string, file: string): Promise<void>;
  /**
   * A hint, ahead of putFile, for a local file that is finished: get it ready while other work goes
   * on (local lake: its bytes written to disk, so that putFile's own sync finds nothing left; S3:
   * nothing). Never fails: putFile reports any problem with the file.
   */
  prepareFile(file: string): Promise<void>;
  /** the object's bytes, or null if absent */
  get(key: string): Promise<Buffer | null>;
  exists(key: string): Promise<boolean>;
  /** every object whose key starts with prefix, sorted by key */
  list(prefix: string): Promise<LakeObject[]>;
  delete(keys: string[]): Promise<void>;
  /** atomically create or replace `to` with the bytes of `from` (S3: a copy in the store, at most 5 GiB); false when `from` is absent */
  copy(from: string, to: string): Promise<boolean>;
  /**
   * A local directory holding the objects under prefix, for the engine (DuckDB) to read.
   * Local lake: the directory itself. S3: a cache under the data dir, filled with what is
   * missing or changed.
   */
  localDir(prefix: string): Promise<string>;
}
