/**
 * The cluster's member table, as Serf reports members (`consul members`, `/v1/agent/members`):
 * state every server agrees on because it lives in the store's replicated log, not in one agent's
 * memory. The membership layer (src/membership) decides status changes; the state machine applies
 * them and keeps the catalog in step, as Consul's leader reconcile does.
 */

/** MemberStatus is Serf's member status word. */
export type MemberStatus = 'alive' | 'leaving' | 'left' | 'failed';

/** MEMBER_STATUSES in Serf's numbering order (1 alive, 2 leaving, 3 left, 4 failed; 0 is none). */
export const MEMBER_STATUSES: readonly MemberStatus[] = ['alive', 'leaving', 'left', 'failed'];

/** isMemberStatus tells whether text is a member status word. */
export function isMemberStatus(text: unknown): text is MemberStatus {
  return MEMBER_STATUSES.includes(text as MemberStatus);
}

/** MemberRecord is one agent of the cluster. */
export interface MemberRecord {
  /** The node name (unique in the datacenter). */
  readonly name: string;
  /** The node ID (UUID). */
  readonly id: string;
  /** The advertised cluster (serf LAN) address. */
  readonly addr: string;
  /** The cluster (serf LAN) port. */
  readonly port: number;
  /** Serf tags: `role` (`consul` for servers, `node` for clients), `dc`, `id`, `port`, `build`, ... */
  readonly tags: Readonly<Record<string, string>>;
  readonly status: MemberStatus;
  /** When the status was last changed, in ms since the epoch (decided before appending). */
  readonly statusTime: number;
}

/** MemberRow is a member as stored, with its log indexes. */
export type MemberRow = MemberRecord & {
  readonly createIndex: number;
  readonly modifyIndex: number;
};

/** MemberSetCommand writes a member (new, or a status change) and its catalog effects. */
export interface MemberSetCommand {
  readonly type: 'member-set';
  readonly member: MemberRecord;
  /**
   * Check-and-set: applied only while the member's row still has this ModifyIndex (0: while there
   * is no row), so a status change decided on what a server saw never overwrites a newer one.
   */
  readonly cas?: number;
}

/**
 * MemberRemoveCommand forgets a member: `force-leave -prune`, a `failed` member reaped after
 * `reconnect_timeout`, or a `left` one after the tombstone timeout. With `deregister` its catalog
 * node goes too (Consul's "reaped" deregistration).
 */
export interface MemberRemoveCommand {
  readonly type: 'member-remove';
  readonly name: string;
  readonly deregister: boolean;
}

/** MemberCommand is every member-table command. */
export type MemberCommand = MemberSetCommand | MemberRemoveCommand;

/** isMemberCommand tells a member-table command apart from the store's other commands. */
export function isMemberCommand(command: { readonly type: string }): command is MemberCommand {
  return command.type === 'member-set' || command.type === 'member-remove';
}

/** isServerMember tells whether a member is a server agent (Serf tag `role=consul`). */
export function isServerMember(member: Pick<MemberRecord, 'tags'>): boolean {
  return member.tags.role === 'consul';
}

/** SERF_HEALTH_CHECK is the node check the membership keeps (Consul's `serfHealth`). */
export const SERF_HEALTH_CHECK = 'serfHealth';
/** The outputs of the serfHealth check, as Consul writes them. */
export const SERF_HEALTH_ALIVE = 'Agent alive and reachable';
export const SERF_HEALTH_DEAD = 'Agent not live or unreachable';
