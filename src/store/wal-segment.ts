/**
 * Write-ahead log segments: `wal-<first index, 20 digits>.log`, an 8-byte magic, then frames
 * `[u32 payload length][u32 crc32(payload)][payload]` (payload: see command-codec.ts).
 */
import { crc32 } from 'node:zlib';
import { ConfdError, ErrorCode } from '../errors.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { decodeRecord, encodeRecord, MAX_RECORD_TYPE } from './command-codec.js';
import type { LogRecord } from './durable-log.js';

/** SEGMENT_MAGIC opens every segment file. */
export const SEGMENT_MAGIC = Buffer.from('CFDWAL01', 'latin1');
const FRAME_HEADER = 8;
/** Upper bound of one record: a 128-op transaction of 512 KiB values, plus slack. */
const MAX_PAYLOAD = 128 * (524288 + 4096) + 4096;

/** segmentName is the file name of the segment whose first record has index first. */
export function segmentName(first: number): string {
  return `wal-${String(first).padStart(20, '0')}.log`;
}

/** parseSegmentName returns the first index encoded in a segment file name, if it is one. */
export function parseSegmentName(name: string): number | undefined {
  const m = /^wal-(\d{20})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** encodeFrames encodes a batch of records as frames into w (which is reset first). */
export function encodeFrames(w: ByteWriter, batch: readonly LogRecord[]): Buffer {
  w.reset();
  for (const record of batch) {
    const at = w.reserve(FRAME_HEADER);
    encodeRecord(w, record);
    const payload = w.bytes(at + FRAME_HEADER);
    w.patchU32(at, payload.length);
    w.patchU32(at + 4, crc32(payload) >>> 0);
  }
  return w.bytes();
}

/** SegmentScan is what reading one segment found. */
export interface SegmentScan {
  /** Byte offset just past the last good frame. */
  readonly goodEnd: number;
  /** Whether bytes after goodEnd were dropped as a torn final record. */
  readonly torn: boolean;
}

interface Frame {
  readonly record: LogRecord;
  readonly end: number;
}

function tryFrame(buf: Buffer, at: number): Frame | undefined {
  if (at + FRAME_HEADER > buf.length) return undefined;
  const len = buf.readUInt32LE(at);
  if (len === 0 || len > MAX_PAYLOAD || at + FRAME_HEADER + len > buf.length) return undefined;
  const start = at + FRAME_HEADER;
  if (crc32(buf.subarray(start, start + len)) >>> 0 !== buf.readUInt32LE(at + 4)) return undefined;
  try {
    return { record: decodeRecord(new ByteReader(buf, start, start + len)), end: start + len };
  } catch {
    return undefined;
  }
}

/**
 * laterFrameExists tells whether a valid frame continuing the log (index next or next+1) starts
 * anywhere after a bad one: then the damage is in the middle of the log, not a torn tail.
 */
function laterFrameExists(buf: Buffer, from: number, next: number): boolean {
  for (let at = from + 1; at + FRAME_HEADER + 9 <= buf.length; at++) {
    const type = buf[at + FRAME_HEADER];
    if (type < 1 || type > MAX_RECORD_TYPE) continue;
    const index = buf.readDoubleLE(at + FRAME_HEADER + 1);
    if (index !== next && index !== next + 1) continue;
    if (tryFrame(buf, at) !== undefined) return true;
  }
  return false;
}

/**
 * scanSegment decodes every frame of a segment's bytes, calling onRecord for each in order.
 * A damaged final record of the last segment is a torn write (reported, to be truncated); any
 * other damage throws STORE_CORRUPT naming the file and offset.
 */
export function scanSegment(
  file: string,
  buf: Buffer,
  isLast: boolean,
  firstIndex: number,
  onRecord: (record: LogRecord) => void,
): SegmentScan {
  const corrupt = (offset: number, what: string) =>
    new ConfdError(ErrorCode.STORE_CORRUPT, `log ${file} is corrupt at offset ${offset}: ${what}`);
  if (buf.length < SEGMENT_MAGIC.length || !buf.subarray(0, 8).equals(SEGMENT_MAGIC)) {
    // A segment created just before a crash may hold a partial header.
    if (isLast && buf.length < SEGMENT_MAGIC.length) return { goodEnd: 0, torn: buf.length > 0 };
    throw corrupt(0, 'bad segment header');
  }
  let at = SEGMENT_MAGIC.length;
  let expected = firstIndex;
  while (at < buf.length) {
    const frame = tryFrame(buf, at);
    if (frame === undefined) {
      if (isLast && !laterFrameExists(buf, at, expected)) return { goodEnd: at, torn: true };
      throw corrupt(at, 'bad record (checksum, length or encoding)');
    }
    if (frame.record.index !== expected) {
      throw corrupt(at, `record index ${frame.record.index}, expected ${expected}`);
    }
    onRecord(frame.record);
    expected++;
    at = frame.end;
  }
  return { goodEnd: at, torn: false };
}
