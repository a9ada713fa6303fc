/**
 * The value of one entry of the replicated log in etcd: the writer's id and sequence number (for
 * at-most-once apply) and the commands, each in the local WAL's record encoding.
 *
 *   "CFDE" | u8 version | str writer | f64 seq | u32 count | count × (u32 length | record)
 */
import { ConfdError, ErrorCode } from '../errors.js';
import { ByteReader, ByteWriter } from '../store/bytes.js';
import { decodeRecord, encodeRecord } from '../store/command-codec.js';
import type { Command } from '../store/commands.js';
import type { EntryId } from '../store/durable-log.js';

const MAGIC = Buffer.from('CFDE');
const VERSION = 1;

/** LogEntry is one decoded entry. */
export interface LogEntry {
  readonly id: EntryId;
  readonly commands: Command[];
}

/** EntryEncoder builds one entry, command by command, so that a batch can stop at a size limit. */
export class EntryEncoder {
  readonly #w = new ByteWriter(64 * 1024);
  readonly #countAt: number;
  #count = 0;

  constructor(id: EntryId) {
    const w = this.#w;
    for (const byte of MAGIC) w.u8(byte);
    w.u8(VERSION);
    w.str(id.writer);
    w.f64(id.seq);
    this.#countAt = w.reserve(4);
  }

  /** The encoded size so far, in bytes. */
  get length(): number {
    return this.#w.length;
  }

  get count(): number {
    return this.#count;
  }

  add(command: Command): void {
    const w = this.#w;
    const lengthAt = w.reserve(4);
    encodeRecord(w, { index: 1, command });
    w.patchU32(lengthAt, w.length - lengthAt - 4);
    this.#count++;
  }

  /** bytes returns the finished entry (a copy). */
  bytes(): Buffer {
    this.#w.patchU32(this.#countAt, this.#count);
    return Buffer.from(this.#w.bytes());
  }
}

/** decodeEntry parses an entry; STORE_CORRUPT names what is wrong with it. */
export function decodeEntry(bytes: Buffer): LogEntry {
  if (bytes.length < MAGIC.length + 1 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ConfdError(ErrorCode.STORE_CORRUPT, 'log entry: bad magic');
  }
  const r = new ByteReader(bytes, MAGIC.length);
  const version = r.u8();
  if (version !== VERSION) {
    throw new ConfdError(ErrorCode.STORE_CORRUPT, `log entry: unknown version ${version}`);
  }
  const writer = r.str();
  const seq = r.f64();
  if (writer === '' || !Number.isSafeInteger(seq) || seq < 1) {
    throw new ConfdError(ErrorCode.STORE_CORRUPT, 'log entry: bad writer id');
  }
  const count = r.u32();
  const commands: Command[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.u32();
    const start = r.position;
    if (length > r.remaining) {
      throw new ConfdError(ErrorCode.STORE_CORRUPT, `log entry: command ${i} is truncated`);
    }
    commands.push(decodeRecord(new ByteReader(bytes, start, start + length)).command);
    r.skip(length);
  }
  if (r.remaining !== 0) {
    throw new ConfdError(ErrorCode.STORE_CORRUPT, `log entry: ${r.remaining} trailing bytes`);
  }
  return { id: { writer, seq }, commands };
}
