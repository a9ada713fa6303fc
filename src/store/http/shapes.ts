/**
 * The JSON shapes Consul answers with, built in Go struct-field order: DirEntry (KV), Session, and
 * the transaction result envelope.
 */
import type { KvEntry, Session } from '../types.js';
import { goJsonString } from '../../go/json.js';

function base64(value: Uint8Array | null): string | null {
  if (value === null || value.byteLength === 0) return null;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
}

/** DirEntryJson is Consul's DirEntry object, fields in Go order (`Session` omitted when empty). */
export interface DirEntryJson {
  LockIndex: number;
  Key: string;
  Flags: bigint;
  Value: string | null;
  Session?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** dirEntry maps a store entry to Consul's DirEntry. */
export function dirEntry(entry: KvEntry): DirEntryJson {
  const out: DirEntryJson = {
    LockIndex: entry.lockIndex,
    Key: entry.key,
    Flags: entry.flags,
    Value: base64(entry.value),
    CreateIndex: entry.createIndex,
    ModifyIndex: entry.modifyIndex,
  };
  if (entry.session) {
    // Insert Session between Value and CreateIndex (Go field order, omitempty).
    return {
      LockIndex: out.LockIndex,
      Key: out.Key,
      Flags: out.Flags,
      Value: out.Value,
      Session: entry.session,
      CreateIndex: out.CreateIndex,
      ModifyIndex: out.ModifyIndex,
    };
  }
  return out;
}

/** compactEntryArray renders `[DirEntry]` compactly without an intermediate object (hot path). */
export function compactEntryArray(entry: KvEntry): string {
  const value = base64(entry.value);
  return (
    `[{"LockIndex":${entry.lockIndex},"Key":${goJsonString(entry.key)},"Flags":${entry.flags},` +
    `"Value":${value === null ? 'null' : `"${value}"`},` +
    (entry.session ? `"Session":${goJsonString(entry.session)},` : '') +
    `"CreateIndex":${entry.createIndex},"ModifyIndex":${entry.modifyIndex}}]`
  );
}

/** SessionJson is Consul's session object. */
export interface SessionJson {
  ID: string;
  Name: string;
  Node: string;
  LockDelay: number;
  Behavior: string;
  TTL: string;
  NodeChecks: readonly string[] | null;
  ServiceChecks: readonly { ID: string }[] | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** sessionJson maps a store session to Consul's JSON. */
export function sessionJson(session: Session): SessionJson {
  return {
    ID: session.id,
    Name: session.name,
    Node: session.node,
    LockDelay: session.lockDelayNs,
    Behavior: session.behavior,
    TTL: session.ttl,
    NodeChecks: session.nodeChecks.length === 0 ? null : session.nodeChecks,
    ServiceChecks: session.serviceChecks ? session.serviceChecks.map((c) => ({ ID: c.id })) : null,
    CreateIndex: session.createIndex,
    ModifyIndex: session.modifyIndex,
  };
}
