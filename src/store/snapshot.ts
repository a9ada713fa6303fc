/**
 * Binary snapshots of the state machine: the radix tree in preorder (so per-node max indexes
 * survive a restart exactly), the sessions table and the table indexes.
 *
 * File layout: a 32-byte header `CFDSNAP1 | u32 crc32(body) | u32 version | f64 bodyLength |
 * 8 reserved`, then the body. Written to a temp file, fsynced, renamed, directory fsynced.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ConfdError, ErrorCode } from '../errors.js';
import { ByteWriter } from './bytes.js';
import { TreeNode } from './kv-tree.js';
import type { StateMachine, TombstoneRecord } from './state-machine.js';
import type { Session } from './types.js';
import { decodeCatalog, encodeCatalog } from './catalog/snapshot.js';
import { decodeMembers, encodeMembers } from './members/snapshot.js';

const MAGIC = Buffer.from('CFDSNAP1', 'latin1');
const HEADER_BYTES = 32;
// Version 2 appends the service catalog (JSON) after the KV tree, version 3 the member table
// (JSON) after that; version 1 and 2 files still load.
const VERSION = 4;
const FLUSH_BYTES = 1 << 20;

const BIT_ENTRY = 1;
const BIT_TOMB = 2;
const BIT_SESSION = 4;
const BIT_FLAGS = 8;
const BIT_VALUE = 16;

/** FsyncDir makes a directory's entries (renames, new files) durable. */
export type FsyncDir = (dir: string) => Promise<void>;

function writeNode(w: ByteWriter, node: TreeNode): void {
  let bits = 0;
  if (node.hasEntry) {
    bits |= BIT_ENTRY;
    if (node.session !== undefined) bits |= BIT_SESSION;
    if (node.flags !== 0n) bits |= BIT_FLAGS;
    if (node.value !== null) bits |= BIT_VALUE;
  }
  if (node.tomb > 0) bits |= BIT_TOMB;
  w.utf16(node.label);
  w.u8(bits);
  w.f64(node.maxIndex);
  w.u32(node.live);
  w.u32(node.children?.length ?? 0);
  if (bits & BIT_ENTRY) {
    w.f64(node.createIndex);
    w.f64(node.modifyIndex);
    w.f64(node.lockIndex);
    if (bits & BIT_VALUE) w.latin1(node.value!);
    if (bits & BIT_FLAGS) w.u64(node.flags);
    if (bits & BIT_SESSION) w.str(node.session!);
  }
  if (bits & BIT_TOMB) w.f64(node.tomb);
}

/**
 * writeSnapshot writes state (which must not change until the promise settles) to
 * `<dir>/<name>` durably and returns the number of body bytes.
 */
export async function writeSnapshot(
  dir: string,
  name: string,
  state: StateMachine,
  fsyncDir: FsyncDir,
): Promise<number> {
  const tmp = `${dir}/${name}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  let crc = 0;
  let pos = HEADER_BYTES;
  try {
    const w = new ByteWriter(FLUSH_BYTES * 2);
    const flush = async () => {
      const chunk = w.bytes();
      if (chunk.length === 0) return;
      crc = crc32(chunk, crc);
      await fh.write(chunk, 0, chunk.length, pos);
      pos += chunk.length;
      w.reset();
    };
    w.f64(state.lastIndex);
    w.f64(state.kvIndex);
    w.f64(state.sessionsIndex);
    w.str(JSON.stringify([...state.sessions.values()]));
    const stack: TreeNode[] = [state.tree.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      writeNode(w, node);
      const children = node.children;
      if (children !== null) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
      if (w.length >= FLUSH_BYTES) await flush();
    }
    w.str(JSON.stringify(encodeCatalog(state.catalog)));
    w.str(JSON.stringify(encodeMembers(state.members)));
    w.str(JSON.stringify(state.writers.rows()));
    await flush();
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(crc >>> 0, 8);
    header.writeUInt32LE(VERSION, 12);
    header.writeDoubleLE(pos - HEADER_BYTES, 16);
    await fh.write(header, 0, HEADER_BYTES, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, `${dir}/${name}`);
  await fsyncDir(dir);
  return pos - HEADER_BYTES;
}

/** ChunkReader reads a file sequentially through a buffer, checksumming what it reads. */
class ChunkReader {
  readonly #fd: number;
  readonly #file: string;
  #buf = Buffer.allocUnsafe(4 << 20);
  #start = 0;
  #end = 0;
  #filePos: number;
  readonly #fileEnd: number;
  crc = 0;

  constructor(fd: number, file: string, from: number, to: number) {
    this.#fd = fd;
    this.#file = file;
    this.#filePos = from;
    this.#fileEnd = to;
  }

  get consumedAll(): boolean {
    return this.#start === this.#end && this.#filePos === this.#fileEnd;
  }

  /** offset is the file offset of the next unread byte. */
  get offset(): number {
    return this.#filePos - (this.#end - this.#start);
  }

  #ensure(n: number): void {
    if (this.#end - this.#start >= n) return;
    const have = this.#end - this.#start;
    if (n > this.#buf.length) {
      const next = Buffer.allocUnsafe(Math.max(n, this.#buf.length * 2));
      this.#buf.copy(next, 0, this.#start, this.#end);
      this.#buf = next;
    } else {
      this.#buf.copy(this.#buf, 0, this.#start, this.#end);
    }
    this.#start = 0;
    this.#end = have;
    while (this.#end < n) {
      const want = Math.min(this.#buf.length - this.#end, this.#fileEnd - this.#filePos);
      if (want <= 0) {
        throw new ConfdError(
          ErrorCode.STORE_CORRUPT,
          `snapshot ${this.#file} is truncated at offset ${this.offset}`,
        );
      }
      const got = readSync(this.#fd, this.#buf, this.#end, want, this.#filePos);
      if (got === 0) {
        throw new ConfdError(
          ErrorCode.STORE_CORRUPT,
          `snapshot ${this.#file} is truncated at offset ${this.offset}`,
        );
      }
      this.crc = crc32(this.#buf.subarray(this.#end, this.#end + got), this.crc);
      this.#end += got;
      this.#filePos += got;
    }
  }

  u8(): number {
    this.#ensure(1);
    return this.#buf[this.#start++];
  }

  u32(): number {
    this.#ensure(4);
    const v = this.#buf.readUInt32LE(this.#start);
    this.#start += 4;
    return v;
  }

  f64(): number {
    this.#ensure(8);
    const v = this.#buf.readDoubleLE(this.#start);
    this.#start += 8;
    return v;
  }

  u64(): bigint {
    this.#ensure(8);
    const v = this.#buf.readBigUInt64LE(this.#start);
    this.#start += 8;
    return v;
  }

  #text(encoding: 'utf8' | 'utf16le' | 'latin1'): string {
    const n = this.u32();
    this.#ensure(n);
    const s = this.#buf.toString(encoding, this.#start, this.#start + n);
    this.#start += n;
    return s;
  }

  str(): string {
    return this.#text('utf8');
  }

  utf16(): string {
    return this.#text('utf16le');
  }

  latin1(): string {
    return this.#text('latin1');
  }
}

function readNode(r: ChunkReader, node: TreeNode): number {
  node.label = r.utf16();
  const bits = r.u8();
  node.maxIndex = r.f64();
  node.live = r.u32();
  const childCount = r.u32();
  if (bits & BIT_ENTRY) {
    node.createIndex = r.f64();
    node.modifyIndex = r.f64();
    node.lockIndex = r.f64();
    if (bits & BIT_VALUE) node.value = r.latin1();
    if (bits & BIT_FLAGS) node.flags = r.u64();
    if (bits & BIT_SESSION) node.session = r.str();
  }
  if (bits & BIT_TOMB) node.tomb = r.f64();
  return childCount;
}

/** loadSnapshot reads the snapshot at path into an empty state; STORE_CORRUPT if it is damaged. */
export function loadSnapshot(path: string, state: StateMachine): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new ConfdError(ErrorCode.STORE_IO, `cannot open snapshot ${path}`, { cause: err });
  }
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(HEADER_BYTES);
    const got = size >= HEADER_BYTES ? readSync(fd, header, 0, HEADER_BYTES, 0) : 0;
    if (got < HEADER_BYTES || !header.subarray(0, 8).equals(MAGIC)) {
      throw new ConfdError(ErrorCode.STORE_CORRUPT, `snapshot ${path}: bad header at offset 0`);
    }
    const wantCrc = header.readUInt32LE(8);
    const version = header.readUInt32LE(12);
    const bodyLength = header.readDoubleLE(16);
    if (version < 1 || version > VERSION || HEADER_BYTES + bodyLength !== size) {
      throw new ConfdError(
        ErrorCode.STORE_CORRUPT,
        `snapshot ${path}: version ${version}, body ${bodyLength} bytes does not match file size ${size}`,
      );
    }
    const r = new ChunkReader(fd, path, HEADER_BYTES, size);
    try {
      state.lastIndex = r.f64();
      state.kvIndex = r.f64();
      state.sessionsIndex = r.f64();
      const sessions = JSON.parse(r.str()) as Session[];
      for (const s of sessions) state.sessions.set(s.id, s);
      const tombstones: TombstoneRecord[] = [];
      const locks: { key: string; session: string }[] = [];
      const root = state.tree.root;
      const stack: { node: TreeNode; left: number; path: string }[] = [];
      const rootChildren = readNode(r, root);
      if (root.tomb > 0) tombstones.push({ key: '', index: root.tomb });
      if (root.session !== undefined) locks.push({ key: '', session: root.session });
      stack.push({ node: root, left: rootChildren, path: '' });
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        if (top.left === 0) {
          stack.pop();
          continue;
        }
        top.left--;
        const child = new TreeNode('');
        const count = readNode(r, child);
        (top.node.children ??= []).push(child);
        const path = top.path + child.label;
        if (child.tomb > 0) tombstones.push({ key: path, index: child.tomb });
        if (child.session !== undefined) locks.push({ key: path, session: child.session });
        if (count > 0) stack.push({ node: child, left: count, path });
      }
      if (version >= 2) {
        let catalog: unknown;
        try {
          catalog = JSON.parse(r.str());
        } catch (err) {
          throw new ConfdError(ErrorCode.STORE_CORRUPT, 'bad catalog section', { cause: err });
        }
        state.catalog = decodeCatalog(catalog);
      }
      if (version >= 3) {
        let members: unknown;
        try {
          members = JSON.parse(r.str());
        } catch (err) {
          throw new ConfdError(ErrorCode.STORE_CORRUPT, 'bad member section', { cause: err });
        }
        state.members = decodeMembers(members);
      }
      if (version >= 4) restoreWriters(state, r.str());
      if (!r.consumedAll) {
        throw new ConfdError(ErrorCode.STORE_CORRUPT, `trailing bytes at offset ${r.offset}`);
      }
      if (r.crc >>> 0 !== wantCrc) {
        throw new ConfdError(ErrorCode.STORE_CORRUPT, 'checksum mismatch');
      }
      state.restoreTombstones(tombstones);
      state.restoreLocks(locks);
    } catch (err) {
      if (err instanceof ConfdError && err.code === ErrorCode.STORE_CORRUPT) {
        throw new ConfdError(
          ErrorCode.STORE_CORRUPT,
          err.message.startsWith('snapshot ')
            ? err.message
            : `snapshot ${path} is corrupt near offset ${r.offset}: ${err.message}`,
          { cause: err },
        );
      }
      throw new ConfdError(
        ErrorCode.STORE_CORRUPT,
        `snapshot ${path} is corrupt near offset ${r.offset}`,
        { cause: err },
      );
    }
  } finally {
    closeSync(fd);
  }
}

/** restoreWriters loads the replicated log's writer table (see WriterTable.rows). */
function restoreWriters(state: StateMachine, text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfdError(ErrorCode.STORE_CORRUPT, 'bad writer section', { cause: err });
  }
  if (!state.writers.restore(parsed)) {
    throw new ConfdError(ErrorCode.STORE_CORRUPT, 'bad writer section');
  }
}
