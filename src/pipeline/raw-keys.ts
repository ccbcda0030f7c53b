/**
 * The raw zone's key layout (docs/design.md "Raw zone"), shared by the roles that write and read
 * it: a chunk `raw/<topic>/dt=YYYY-MM-DD/hr=HH/<topic>+<partition>+<first offset, 10 digits>.ndjson.gz`
 * and a day marker `raw/<topic>/dt=YYYY-MM-DD/_SUCCESS`. The lake itself knows keys only.
 */

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
