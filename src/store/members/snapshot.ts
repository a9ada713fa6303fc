/**
 * Validation and snapshot encoding of the member table. A member record comes from another agent
 * (a join), so it is checked field by field before it is appended, and again when read back from
 * a snapshot or the log (STORE_CORRUPT there).
 */
import { ConfdError, ErrorCode } from '../../errors.js';
import { MembersState, type MembersSnapshotData } from './members-state.js';
import { isMemberStatus, type MemberRecord, type MemberRow } from './types.js';

/** Limits on what a member may carry (Serf allows 512 bytes of tags; we allow more room). */
const MAX_NAME = 128;
const MAX_TAGS = 64;
const MAX_TAG_BYTES = 512;

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * validateMemberRecord returns why `value` is not a well-formed member record, or undefined.
 * Names follow Consul's node name rules loosely: 1-128 characters, no control characters.
 */
export function validateMemberRecord(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const m = value as Record<string, unknown>;
  if (typeof m.name !== 'string' || m.name === '' || m.name.length > MAX_NAME) {
    return 'bad name';
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(m.name)) return 'bad name';
  if (typeof m.id !== 'string' || m.id.length > MAX_NAME) return 'bad id';
  if (typeof m.addr !== 'string' || m.addr === '' || m.addr.length > 64) return 'bad addr';
  if (!Number.isInteger(m.port) || (m.port as number) < 1 || (m.port as number) > 65535) {
    return 'bad port';
  }
  if (!isMemberStatus(m.status)) return 'bad status';
  if (typeof m.statusTime !== 'number' || !Number.isFinite(m.statusTime)) return 'bad statusTime';
  const tags = m.tags;
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return 'bad tags';
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) return 'too many tags';
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length + v.length > MAX_TAG_BYTES) return `bad tag ${k}`;
  }
  return undefined;
}

/** memberRecordOf copies the record fields of a validated value (dropping anything else). */
export function memberRecordOf(value: MemberRecord): MemberRecord {
  const { name, id, addr, port, tags, status, statusTime } = value;
  return { name, id, addr, port, tags: { ...tags }, status, statusTime };
}

/** encodeMembers captures the member table as JSON-serialisable data. */
export function encodeMembers(state: MembersState): MembersSnapshotData {
  return state.toSnapshot();
}

function corrupt(what: string): ConfdError {
  return new ConfdError(ErrorCode.STORE_CORRUPT, `member snapshot: ${what}`);
}

/** decodeMembers rebuilds a member table from {@link encodeMembers} data (undefined = empty). */
export function decodeMembers(data: unknown): MembersState {
  if (data === undefined || data === null) return new MembersState();
  if (typeof data !== 'object') throw corrupt('not an object');
  const d = data as Record<string, unknown>;
  if (!isIndex(d.membersIndex)) throw corrupt('bad membersIndex');
  if (!Array.isArray(d.members)) throw corrupt('bad members');
  const rows: MemberRow[] = [];
  for (const m of d.members as unknown[]) {
    const why = validateMemberRecord(m);
    if (why !== undefined) throw corrupt(why);
    const row = m as MemberRow;
    if (!isIndex(row.createIndex) || !isIndex(row.modifyIndex)) throw corrupt('bad member row');
    rows.push({
      ...memberRecordOf(row),
      createIndex: row.createIndex,
      modifyIndex: row.modifyIndex,
    });
  }
  return MembersState.fromSnapshot({ membersIndex: d.membersIndex, members: rows });
}
