/**
 * The member table sub-state of the store's state machine. `apply` is deterministic: it reads the
 * catalog (never a clock) and returns the catalog commands a member change implies, which the
 * state machine applies in the same log entry, as Consul's leader reconcile does
 * (`agent/consul/leader.go`):
 *
 * - **alive**: the node is registered (ID, address, `lan`/`wan` tagged addresses) with `serfHealth`
 *   passing, and a server also gets the `consul` service; nothing is written when the catalog
 *   already holds that node with a passing `serfHealth`. Existing tagged addresses and node meta
 *   (written by the agent's anti-entropy) are kept.
 * - **failed**: `serfHealth` turns critical; the node and its services stay.
 * - **leaving**: nothing in the catalog yet.
 * - **left**: the node is deregistered (its services and checks go, its sessions end).
 */
import { ConfdError, ErrorCode } from '../../errors.js';
import { agentNode, consulService, serfHealthCheck } from '../catalog/agent-records.js';
import type { CatalogState } from '../catalog/catalog-state.js';
import type { CatalogCommand } from '../catalog/types.js';
import {
  isServerMember,
  SERF_HEALTH_ALIVE,
  SERF_HEALTH_CHECK,
  SERF_HEALTH_DEAD,
  type MemberCommand,
  type MemberRecord,
  type MemberRow,
} from './types.js';

/** MembersSnapshotData is the member table as plain data for the store's snapshot. */
export interface MembersSnapshotData {
  readonly membersIndex: number;
  readonly members: readonly MemberRow[];
}

/** MemberApplied is what applying one member command decided. */
export interface MemberApplied {
  /** The command's result: the member row written, or undefined (a removal, a failed cas). */
  readonly value: MemberRow | undefined;
  /** The catalog commands the change implies, in order. */
  readonly catalog: CatalogCommand[];
}

/** MembersState holds the cluster's members by name. */
export class MembersState {
  readonly #members = new Map<string, MemberRow>();
  /** The last index that changed the table (the blocking-query index of member lists). */
  membersIndex = 0;

  /** get returns a member by name. */
  get(name: string): MemberRow | undefined {
    return this.#members.get(name);
  }

  /** list returns every member sorted by name. */
  list(): MemberRow[] {
    return [...this.#members.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }

  /** size is the number of members. */
  get size(): number {
    return this.#members.size;
  }

  /** apply applies command at index against the current catalog; throws its typed error. */
  apply(index: number, command: MemberCommand, catalog: CatalogState): MemberApplied {
    if (command.type === 'member-remove') {
      const prev = this.#members.get(command.name);
      if (prev === undefined) return { value: undefined, catalog: [] };
      this.#members.delete(command.name);
      this.membersIndex = index;
      const deregister = command.deregister && catalog.node(command.name) !== undefined;
      return {
        value: undefined,
        catalog: deregister ? [{ type: 'catalog-deregister', node: command.name }] : [],
      };
    }
    const member = command.member;
    const prev = this.#members.get(member.name);
    if (command.cas !== undefined && (prev?.modifyIndex ?? 0) !== command.cas) {
      return { value: undefined, catalog: [] };
    }
    if (
      prev !== undefined &&
      prev.id !== member.id &&
      member.status === 'alive' &&
      (prev.status === 'alive' || prev.status === 'leaving')
    ) {
      // Serf refuses a second live member of one name (hashicorp/consul#3070).
      throw new ConfdError(
        ErrorCode.CLUSTER_MEMBER_CONFLICT,
        `Member '${member.name}' has conflicting node ID '${member.id}' with member ID '${prev.id}'`,
      );
    }
    const row: MemberRow = {
      ...member,
      tags: { ...member.tags },
      createIndex: prev?.createIndex ?? index,
      modifyIndex: index,
    };
    this.#members.set(member.name, row);
    this.membersIndex = index;
    return { value: row, catalog: catalogEffectsOf(row, catalog) };
  }

  toSnapshot(): MembersSnapshotData {
    return { membersIndex: this.membersIndex, members: this.list() };
  }

  /** fromSnapshot rebuilds a table from {@link toSnapshot} data (validated by the caller). */
  static fromSnapshot(data: MembersSnapshotData): MembersState {
    const state = new MembersState();
    state.membersIndex = data.membersIndex;
    for (const row of data.members) state.#members.set(row.name, { ...row, tags: { ...row.tags } });
    return state;
  }
}

/** catalogEffectsOf lists the catalog writes that bring the catalog in step with a member. */
function catalogEffectsOf(member: MemberRecord, catalog: CatalogState): CatalogCommand[] {
  const node = catalog.node(member.name);
  const health = node === undefined ? undefined : catalog.check(member.name, SERF_HEALTH_CHECK);
  switch (member.status) {
    case 'leaving':
      return [];
    case 'left':
      return node === undefined ? [] : [{ type: 'catalog-deregister', node: member.name }];
    case 'failed':
      if (health === undefined || health.status === 'critical') return [];
      return [
        {
          type: 'check-status',
          node: member.name,
          checkId: SERF_HEALTH_CHECK,
          status: 'critical',
          output: SERF_HEALTH_DEAD,
        },
      ];
    case 'alive': {
      const server = isServerMember(member);
      const inStep =
        node !== undefined &&
        node.address === member.addr &&
        node.id === member.id &&
        health?.status === 'passing' &&
        (!server || catalog.serviceOf(member.name, 'consul') !== undefined);
      if (inStep) return [];
      const fresh = agentNode({
        node: member.name,
        id: member.id,
        address: member.addr,
        datacenter: member.tags.dc ?? node?.datacenter ?? 'dc1',
      });
      const keep = node !== undefined && node.address === member.addr;
      return [
        {
          type: 'catalog-register',
          node: keep ? { ...fresh, taggedAddresses: node.taggedAddresses, meta: node.meta } : fresh,
          skipNodeUpdate: false,
          service: server ? consulService(Number(member.tags.port ?? 8300)) : null,
          checks: [serfHealthCheck(member.name, 'passing', SERF_HEALTH_ALIVE)],
        },
      ];
    }
  }
}
