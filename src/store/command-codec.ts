/**
 * The binary encoding of log records: `[u8 type][f64 index][fields...]`, compact and without
 * JSON on the hot path (only the rare session-create carries a JSON body).
 */
import { ConfdError, ErrorCode } from '../errors.js';
import { ByteReader, ByteWriter } from './bytes.js';
import type { Command, KvSetMode, SessionRecord, TxnOpRecord } from './commands.js';
import type { LogRecord } from './durable-log.js';
import { isCatalogCommand, type CatalogCommand } from './catalog/types.js';
import { isMemberCommand, type MemberCommand } from './members/types.js';
import { validateMemberRecord } from './members/snapshot.js';
import { TXN_KV_VERBS, type TxnKvVerb } from './types.js';

const TYPE = {
  'kv-set': 1,
  'kv-delete': 2,
  'kv-delete-tree': 3,
  txn: 4,
  'session-create': 5,
  'session-destroy': 6,
  'tombstone-reap': 7,
  'catalog-register': 8,
  'catalog-deregister': 9,
  'check-status': 10,
  'member-set': 11,
  'member-remove': 12,
  'session-renew': 13,
} as const;

/** The highest record type byte: recovery looks for frames of any known type. */
export const MAX_RECORD_TYPE = 13;

const MODES: readonly KvSetMode[] = ['set', 'cas', 'acquire', 'release'];
const VERBS: readonly TxnKvVerb[] = TXN_KV_VERBS;

function writeValue(w: ByteWriter, value: string | null): void {
  if (value === null) w.u8(0);
  else {
    w.u8(1);
    w.latin1(value);
  }
}

function readValue(r: ByteReader): string | null {
  return r.u8() === 0 ? null : r.latin1();
}

/** encodeRecord appends the payload of one log record to w. */
export function encodeRecord(w: ByteWriter, record: LogRecord): void {
  const c = record.command;
  w.u8(TYPE[c.type]);
  w.f64(record.index);
  switch (c.type) {
    case 'kv-set':
      w.utf16(c.key);
      writeValue(w, c.value);
      w.u64(c.flags);
      w.u8(MODES.indexOf(c.mode));
      w.f64(c.cas ?? -1);
      w.str(c.session ?? '');
      return;
    case 'kv-delete':
      w.utf16(c.key);
      w.f64(c.cas ?? -1);
      return;
    case 'kv-delete-tree':
      w.utf16(c.prefix);
      return;
    case 'txn':
      w.u32(c.ops.length);
      for (const op of c.ops) {
        w.u8(VERBS.indexOf(op.verb));
        w.utf16(op.key);
        writeValue(w, op.value);
        w.u64(op.flags);
        w.f64(op.index);
        w.str(op.session);
      }
      return;
    case 'session-create':
      w.str(JSON.stringify(c.session));
      return;
    case 'session-destroy':
    case 'session-renew':
      w.str(c.id);
      return;
    case 'tombstone-reap':
      w.f64(c.upTo);
      return;
    case 'catalog-register':
    case 'catalog-deregister':
    case 'check-status':
    case 'member-set':
    case 'member-remove':
      // Catalog and member commands are rare next to KV writes: plain JSON keeps them simple.
      w.str(JSON.stringify(c));
      return;
  }
}

/** decodeMemberCommand parses and checks the JSON of a member command record. */
function decodeMemberCommand(text: string): MemberCommand {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfdError(ErrorCode.STORE_CORRUPT, 'bad member record', { cause: err });
  }
  const c = parsed as Partial<MemberCommand> | null;
  if (typeof c !== 'object' || c === null || !isMemberCommand(c as MemberCommand)) {
    bad('bad member record');
  }
  const command = c as MemberCommand;
  if (
    command.type === 'member-set' &&
    (validateMemberRecord(command.member) !== undefined ||
      (command.cas !== undefined && !Number.isSafeInteger(command.cas)))
  ) {
    bad('bad member record');
  }
  if (
    command.type === 'member-remove' &&
    (typeof command.name !== 'string' || typeof command.deregister !== 'boolean')
  ) {
    bad('bad member record');
  }
  return command;
}

function bad(what: string): never {
  throw new ConfdError(ErrorCode.STORE_CORRUPT, what);
}

/** decodeRecord reads one log record payload; throws STORE_CORRUPT when it is malformed. */
export function decodeRecord(r: ByteReader): LogRecord {
  const type = r.u8();
  const index = r.f64();
  if (!Number.isSafeInteger(index) || index < 1) bad(`bad record index ${index}`);
  let command: Command;
  switch (type) {
    case TYPE['kv-set']: {
      const key = r.utf16();
      const value = readValue(r);
      const flags = r.u64();
      const mode = MODES[r.u8()] ?? bad('bad kv-set mode');
      const cas = r.f64();
      const session = r.str();
      command =
        mode === 'cas'
          ? { type: 'kv-set', key, value, flags, mode, cas }
          : mode === 'set'
            ? { type: 'kv-set', key, value, flags, mode }
            : { type: 'kv-set', key, value, flags, mode, session };
      break;
    }
    case TYPE['kv-delete']: {
      const key = r.utf16();
      const cas = r.f64();
      command = cas < 0 ? { type: 'kv-delete', key } : { type: 'kv-delete', key, cas };
      break;
    }
    case TYPE['kv-delete-tree']:
      command = { type: 'kv-delete-tree', prefix: r.utf16() };
      break;
    case TYPE.txn: {
      const n = r.u32();
      const ops: TxnOpRecord[] = [];
      for (let i = 0; i < n; i++) {
        const verb = VERBS[r.u8()] ?? bad('bad txn verb');
        ops.push({
          verb,
          key: r.utf16(),
          value: readValue(r),
          flags: r.u64(),
          index: r.f64(),
          session: r.str(),
        });
      }
      command = { type: 'txn', ops };
      break;
    }
    case TYPE['session-create']: {
      let session: SessionRecord;
      try {
        session = JSON.parse(r.str()) as SessionRecord;
      } catch (err) {
        throw new ConfdError(ErrorCode.STORE_CORRUPT, 'bad session record', { cause: err });
      }
      command = { type: 'session-create', session };
      break;
    }
    case TYPE['session-destroy']:
      command = { type: 'session-destroy', id: r.str() };
      break;
    case TYPE['session-renew']:
      command = { type: 'session-renew', id: r.str() };
      break;
    case TYPE['tombstone-reap']:
      command = { type: 'tombstone-reap', upTo: r.f64() };
      break;
    case TYPE['catalog-register']:
    case TYPE['catalog-deregister']:
    case TYPE['check-status']: {
      let parsed: unknown;
      try {
        parsed = JSON.parse(r.str());
      } catch (err) {
        throw new ConfdError(ErrorCode.STORE_CORRUPT, 'bad catalog record', { cause: err });
      }
      if (typeof parsed !== 'object' || parsed === null || !isCatalogCommand(parsed as Command)) {
        bad('bad catalog record');
      }
      command = parsed as CatalogCommand;
      break;
    }
    case TYPE['member-set']:
    case TYPE['member-remove']:
      command = decodeMemberCommand(r.str());
      break;
    default:
      bad(`unknown record type ${type}`);
  }
  if (r.remaining !== 0) bad(`${r.remaining} trailing bytes in record`);
  return { index, command };
}
