/**
 * Little-endian binary writer and reader for log records and snapshots: length-prefixed strings,
 * latin1 byte strings, 64-bit flags and indexes as doubles (exact below 2^53).
 */
import { ConfdError, ErrorCode } from '../errors.js';

/** ByteWriter appends fields to a growable buffer. */
export class ByteWriter {
  #buf: Buffer;
  #len = 0;

  constructor(initial = 4096) {
    this.#buf = Buffer.allocUnsafe(initial);
  }

  /** length is the number of bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  u8(v: number): void {
    this.#room(1);
    this.#buf[this.#len++] = v;
  }

  u32(v: number): void {
    this.#room(4);
    this.#buf.writeUInt32LE(v, this.#len);
    this.#len += 4;
  }

  f64(v: number): void {
    this.#room(8);
    this.#buf.writeDoubleLE(v, this.#len);
    this.#len += 8;
  }

  u64(v: bigint): void {
    this.#room(8);
    this.#buf.writeBigUInt64LE(v, this.#len);
    this.#len += 8;
  }

  /** str writes a UTF-8 string with a u32 byte length. */
  str(s: string): void {
    const max = s.length * 3;
    this.#room(4 + max);
    const n = this.#buf.write(s, this.#len + 4, 'utf8');
    this.#buf.writeUInt32LE(n, this.#len);
    this.#len += 4 + n;
  }

  /** utf16 writes a string losslessly (lone surrogates too) as UTF-16LE with a u32 byte length. */
  utf16(s: string): void {
    this.#room(4 + s.length * 2);
    this.#buf.writeUInt32LE(s.length * 2, this.#len);
    this.#buf.write(s, this.#len + 4, 'utf16le');
    this.#len += 4 + s.length * 2;
  }

  /** latin1 writes a byte string (one byte per code unit) with a u32 length. */
  latin1(s: string): void {
    this.#room(4 + s.length);
    this.#buf.writeUInt32LE(s.length, this.#len);
    this.#buf.write(s, this.#len + 4, s.length, 'latin1');
    this.#len += 4 + s.length;
  }

  /** reserve skips n bytes and returns their offset, to be filled in with {@link patchU32}. */
  reserve(n: number): number {
    this.#room(n);
    const at = this.#len;
    this.#len += n;
    return at;
  }

  patchU32(at: number, v: number): void {
    this.#buf.writeUInt32LE(v, at);
  }

  /** bytes returns a view of what was written (valid until the next write or reset). */
  bytes(from = 0): Buffer {
    return this.#buf.subarray(from, this.#len);
  }

  reset(): void {
    this.#len = 0;
  }
}

/** ByteReader reads fields from a buffer, throwing a decode error past its end. */
export class ByteReader {
  readonly #buf: Buffer;
  #pos: number;
  readonly #end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** skip moves past n bytes. */
  skip(n: number): void {
    this.#need(n);
    this.#pos += n;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#end) {
      throw new ConfdError(ErrorCode.STORE_CORRUPT, `record truncated at byte ${this.#pos}`);
    }
  }

  u8(): number {
    this.#need(1);
    return this.#buf[this.#pos++];
  }

  u32(): number {
    this.#need(4);
    const v = this.#buf.readUInt32LE(this.#pos);
    this.#pos += 4;
    return v;
  }

  f64(): number {
    this.#need(8);
    const v = this.#buf.readDoubleLE(this.#pos);
    this.#pos += 8;
    return v;
  }

  u64(): bigint {
    this.#need(8);
    const at = this.#pos;
    this.#pos += 8;
    // Most flags are 0: share one constant instead of allocating a BigInt per record.
    if (this.#buf.readUInt32LE(at) === 0 && this.#buf.readUInt32LE(at + 4) === 0) return 0n;
    return this.#buf.readBigUInt64LE(at);
  }

  str(): string {
    const n = this.u32();
    this.#need(n);
    const s = this.#buf.toString('utf8', this.#pos, this.#pos + n);
    this.#pos += n;
    return s;
  }

  utf16(): string {
    const n = this.u32();
    this.#need(n);
    const s = this.#buf.toString('utf16le', this.#pos, this.#pos + n);
    this.#pos += n;
    return s;
  }

  latin1(): string {
    const n = this.u32();
    this.#need(n);
    const s = this.#buf.toString('latin1', this.#pos, this.#pos + n);
    this.#pos += n;
    return s;
  }
}
