/**
 * Snapshots of the state kept in etcd, for servers whose position in the log was compacted away
 * (a new server, or one down for long). They live beside the log's prefix, not under it, so that
 * the servers' watch of the prefix never streams them:
 *
 *   <base>manifest          {"revision":R,"chunks":n,"bytes":b,"sha256":"…"}  (written last)
 *   <base><R>/<i>           the snapshot bytes, in chunks that fit etcd's request limit
 *
 * with `<base>` = the log prefix without its final `/`, plus `.snapshot/`.
 */
import { createHash } from 'node:crypto';
import { ConfdError, ErrorCode } from '../errors.js';
import type { EtcdCalls } from './etcd-calls.js';

/** 1 MB of raw bytes is 1.33 MB of base64, under etcd's 1.5 MiB request limit. */
const CHUNK_BYTES = 1_000_000;

/** SnapshotManifest describes the newest snapshot. */
export interface SnapshotManifest {
  /** The log revision the snapshot covers: the log resumes after it. */
  readonly revision: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** snapshotBase is where a log prefix's snapshots live. */
export function snapshotBase(prefix: string): string {
  return `${prefix.replace(/\/$/, '')}.snapshot/`;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** readManifest returns the newest snapshot's manifest, or undefined when there is none. */
export async function readManifest(
  calls: EtcdCalls,
  base: string,
  signal?: AbortSignal,
): Promise<SnapshotManifest | undefined> {
  const { kvs } = await calls.range(`${base}manifest`, false, signal);
  const kv = kvs[0];
  if (kv === undefined) return undefined;
  try {
    const m = JSON.parse(kv.value.toString()) as Partial<SnapshotManifest>;
    if (
      Number.isSafeInteger(m.revision) &&
      Number.isSafeInteger(m.chunks) &&
      Number.isSafeInteger(m.bytes) &&
      typeof m.sha256 === 'string'
    ) {
      return m as SnapshotManifest;
    }
  } catch {
    // reported below
  }
  throw new ConfdError(ErrorCode.STORE_CORRUPT, `snapshot manifest ${base}manifest is malformed`);
}

/**
 * uploadSnapshot writes bytes as the snapshot at revision, then points the manifest at it and
 * deletes the previous snapshot's chunks. A reader never sees a half-written snapshot: the
 * manifest changes only after every chunk is in.
 */
export async function uploadSnapshot(
  calls: EtcdCalls,
  base: string,
  revision: number,
  bytes: Buffer,
  signal?: AbortSignal,
): Promise<SnapshotManifest> {
  const previous = await readManifest(calls, base, signal).catch(() => undefined);
  const chunks = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
  for (let i = 0; i < chunks; i++) {
    const chunk = bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
    await calls.put(`${base}${revision}/${i}`, chunk, undefined, signal);
  }
  const manifest: SnapshotManifest = {
    revision,
    chunks,
    bytes: bytes.length,
    sha256: sha256(bytes),
  };
  await calls.put(`${base}manifest`, JSON.stringify(manifest), undefined, signal);
  if (previous !== undefined && previous.revision !== revision) {
    await calls.deleteKeys(`${base}${previous.revision}/`, true, signal);
  }
  return manifest;
}

/** downloadSnapshot reads and checks the snapshot a manifest names. */
export async function downloadSnapshot(
  calls: EtcdCalls,
  base: string,
  manifest: SnapshotManifest,
  signal?: AbortSignal,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < manifest.chunks; i++) {
    const { kvs } = await calls.range(`${base}${manifest.revision}/${i}`, false, signal);
    const kv = kvs[0];
    if (kv === undefined) {
      throw new ConfdError(
        ErrorCode.STORE_CORRUPT,
        `snapshot at revision ${manifest.revision}: chunk ${i} of ${manifest.chunks} is missing`,
      );
    }
    parts.push(kv.value);
  }
  const bytes = Buffer.concat(parts);
  if (bytes.length !== manifest.bytes || sha256(bytes) !== manifest.sha256) {
    throw new ConfdError(
      ErrorCode.STORE_CORRUPT,
      `snapshot at revision ${manifest.revision}: its bytes do not match the manifest's checksum`,
    );
  }
  return bytes;
}
