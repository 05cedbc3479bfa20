/**
 * The test frame: a 16-byte header then a pattern the receiver can check in one native compare.
 *
 *   0  u32  magic 'PGT1'
 *   4  u8   mode (0 = pool, 1 = buffer, 2 = udp), so late frames of one run never count for another
 *   5  u8   reserved (0)
 *   6  u16  stream: which sender (0 = main thread, 1..N = workers)
 *   8  u32  sequence number, per stream and mode, from 0
 *  12  u32  payload length, to catch truncation
 *  16  ...  every byte = patternOf(stream, seq)
 */
export const MAGIC = 0x50475431;
export const HEADER_BYTES = 16;
export const MIN_SIZE = HEADER_BYTES;
// The largest UDP payload over IPv4 (65535 - 8 UDP header - 20 IP header).
export const MAX_SIZE = 65507;

export function patternOf(stream: number, seq: number): number {
  return (seq + stream * 31) & 0xff;
}

/** Writes a frame of `length` bytes at `offset` of `buf` (a pool packet's buffer or a fresh Buffer). */
export function writeFrame(
  buf: Buffer,
  offset: number,
  length: number,
  mode: number,
  stream: number,
  seq: number,
): void {
  buf.writeUInt32BE(MAGIC, offset);
  buf[offset + 4] = mode;
  buf[offset + 5] = 0;
  buf.writeUInt16BE(stream, offset + 6);
  buf.writeUInt32BE(seq >>> 0, offset + 8);
  buf.writeUInt32BE(length, offset + 12);
  // One memset, not a JS loop: the pattern costs the same in both modes.
  if (length > HEADER_BYTES) buf.fill(patternOf(stream, seq), offset + HEADER_BYTES, offset + length);
}

/**
 * Checks a received datagram. Returns true when header and pattern are intact. The pattern check
 * compares the payload with itself shifted by one byte (all bytes equal) and then checks the
 * first byte: one memcmp, no allocation, whatever the size.
 */
export function frameIsValid(msg: Buffer): boolean {
  return frameIsValidAt(msg, 0, msg.length);
}

/** frameIsValid for the frame of `length` bytes at buf[at..] (a pool packet's buffer), allocation-free. */
export function frameIsValidAt(buf: Buffer, at: number, length: number): boolean {
  if (length < HEADER_BYTES || buf.readUInt32BE(at) !== MAGIC || buf.readUInt32BE(at + 12) !== length) return false;
  if (buf[at + 4] > 2 || buf[at + 5] !== 0) return false;
  if (length === HEADER_BYTES) return true;
  if (buf[at + HEADER_BYTES] !== patternOf(buf.readUInt16BE(at + 6), buf.readUInt32BE(at + 8))) return false;
  const start = at + HEADER_BYTES;
  return length === HEADER_BYTES + 1 || buf.compare(buf, start, at + length - 1, start + 1, at + length) === 0;
}
