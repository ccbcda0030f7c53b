/**
 * On-disk record frames of the embedded log (little endian):
 *
 *   u32 bodyLength | u32 crc32(body) | body
 *   body = u48 offset, u16 0 | u48 timestamp (epoch ms), u16 0 | i32 keyLength (-1: no key) | key | value
 *
 * A reader accepts a frame only when all of it is present and its CRC matches, so a torn tail left
 * by a writer killed mid-write is recognised (and ignored) rather than misread.
 */
import zlib from 'node:zlib';

export const HEADER_BYTES = 8;
export const FIXED_BODY_BYTES = 20;
export const FRAME_OVERHEAD = HEADER_BYTES + FIXED_BODY_BYTES;
/** largest body accepted (a record bigger than this is refused on send and treated as torn on read) */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (IEEE), the same value as zlib.crc32; the table version serves Node < 20.15. */
export function tableCrc32(data: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

type Crc = (data: Uint8Array) => number;
const zcrc = (zlib as unknown as { crc32?: Crc }).crc32;
export const crc32: Crc = typeof zcrc === 'function' ? (d) => zcrc(d) : tableCrc32;

export function frameBytes(keyBytes: number, valueBytes: number): number {
  return FRAME_OVERHEAD + keyBytes + valueBytes;
}

/** Write one frame into buf at `at`; returns the position after it. buf must have room. */
/** A string value is written as UTF-8 (no intermediate Buffer); buf must have room for its bytes. */
export function writeFrame(buf: Buffer, at: number, offset: number, timestamp: number, key: Buffer | null, value: Buffer | string): number {
  const body = at + HEADER_BYTES;
  buf.writeUIntLE(offset, body, 6);
  buf.writeUInt16LE(0, body + 6);
  buf.writeUIntLE(timestamp, body + 8, 6);
  buf.writeUInt16LE(0, body + 14);
  buf.writeInt32LE(key ? key.length : -1, body + 16);
  let p = body + FIXED_BODY_BYTES;
  if (key) p += key.copy(buf, p);
  p += typeof value === 'string' ? buf.write(value, p, 'utf8') : value.copy(buf, p);
  buf.writeUInt32LE(p - body, at);
  buf.writeUInt32LE(crc32(buf.subarray(body, p)), at + 4);
  return p;
}

export interface FrameView {
  offset: number;
  timestamp: number;
  /** start of the key in the buffer, or -1 when the record has no key */
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  /** end of the frame (= end of the value) */
  end: number;
}

export const INCOMPLETE = 0;
export const BAD = 1;

/**
 * Parse the frame that starts at p in buf[0, limit). INCOMPLETE when more bytes are needed (the
 * total frame size is then in needBytes.n if the header was readable), BAD when the frame cannot be
 * valid (length out of range, CRC mismatch, inconsistent key length).
 */
export function parseFrame(buf: Buffer, p: number, limit: number, needBytes?: { n: number }): FrameView | typeof INCOMPLETE | typeof BAD {
  if (limit - p < HEADER_BYTES) {
    if (needBytes) needBytes.n = HEADER_BYTES;
    return INCOMPLETE;
  }
  const len = buf.readUInt32LE(p);
  if (len < FIXED_BODY_BYTES || len > MAX_BODY_BYTES) return BAD;
  const body = p + HEADER_BYTES;
  const end = body + len;
  if (end > limit) {
    if (needBytes) needBytes.n = HEADER_BYTES + len;
    return INCOMPLETE;
  }
  if (crc32(buf.subarray(body, end)) !== buf.readUInt32LE(p + 4)) return BAD;
  const keyLen = buf.readInt32LE(body + 16);
  if (keyLen < -1 || keyLen > len - FIXED_BODY_BYTES) return BAD;
  const keyStart = keyLen < 0 ? -1 : body + FIXED_BODY_BYTES;
  const keyEnd = keyLen < 0 ? -1 : keyStart + keyLen;
  return {
    offset: buf.readUIntLE(body, 6),
    timestamp: buf.readUIntLE(body + 8, 6),
    keyStart,
    keyEnd,
    valueStart: body + FIXED_BODY_BYTES + Math.max(keyLen, 0),
    end,
  };
}

/** Sparse index entries: u48 offset, u16 0, u48 byte position, u16 0 (hints; readers verify them). */
export const INDEX_ENTRY_BYTES = 16;

export function writeIndexEntry(buf: Buffer, at: number, offset: number, pos: number): void {
  buf.writeUIntLE(offset, at, 6);
  buf.writeUInt16LE(0, at + 6);
  buf.writeUIntLE(pos, at + 8, 6);
  buf.writeUInt16LE(0, at + 14);
}

export function readIndexEntries(buf: Buffer, bytes: number): { offset: number; pos: number }[] {
  const out: { offset: number; pos: number }[] = [];
  for (let at = 0; at + INDEX_ENTRY_BYTES <= bytes; at += INDEX_ENTRY_BYTES) {
    out.push({ offset: buf.readUIntLE(at, 6), pos: buf.readUIntLE(at + 8, 6) });
  }
  return out;
}
