/**
 * A member as Consul answers it: Serf's member JSON (`/v1/agent/members`, `/v1/agent/self`'s
 * `Member`), with memberlist's protocol range 1-5 and Serf's delegate range 2-5.
 */
import type { MemberRecord, MemberStatus } from './types.js';

/** SerfMember is one element of `GET /v1/agent/members`. */
export interface SerfMember {
  readonly Name: string;
  readonly Addr: string;
  readonly Port: number;
  readonly Tags: Readonly<Record<string, string>>;
  /** 0 none, 1 alive, 2 leaving, 3 left, 4 failed. */
  readonly Status: number;
  readonly ProtocolMin: number;
  readonly ProtocolMax: number;
  readonly ProtocolCur: number;
  readonly DelegateMin: number;
  readonly DelegateMax: number;
  readonly DelegateCur: number;
}

const STATUS_NUMBER: Record<MemberStatus, number> = { alive: 1, leaving: 2, left: 3, failed: 4 };
const STATUS_NAMES = ['none', 'alive', 'leaving', 'left', 'failed'];

/** statusName is Serf's name of a member status number (`none` for an unknown one). */
export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? 'none';
}

/** serfMember renders a member as Consul's JSON (memberlist protocol 1-5, Serf delegate 2-5). */
export function serfMember(
  member: Pick<MemberRecord, 'name' | 'addr' | 'port' | 'tags' | 'status'>,
): SerfMember {
  return {
    Name: member.name,
    Addr: member.addr,
    Port: member.port,
    Tags: member.tags,
    Status: STATUS_NUMBER[member.status],
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}
