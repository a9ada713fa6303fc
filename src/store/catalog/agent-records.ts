/**
 * The catalog entries an agent's node carries by Consul's rules: the node itself (with its `lan`
 * and `wan` tagged addresses), the `serfHealth` node check the membership keeps, and on a server
 * the `consul` service. The local agent and the member table both build them here.
 */
import type { CheckRecord, CheckStatus, NodeRecord, ServiceRecord } from './types.js';

/** agentNode is a node record as an agent registers its own node. */
export function agentNode(options: {
  readonly node: string;
  readonly id: string;
  readonly address: string;
  readonly datacenter: string;
}): NodeRecord {
  const a = options.address;
  return {
    node: options.node,
    id: options.id,
    address: a,
    datacenter: options.datacenter,
    taggedAddresses: { lan: a, lan_ipv4: a, wan: a, wan_ipv4: a },
    meta: { 'consul-network-segment': '' },
  };
}

/** serfHealthCheck is the `serfHealth` check ("Serf Health Status") of a node. */
export function serfHealthCheck(node: string, status: CheckStatus, output: string): CheckRecord {
  return {
    node,
    checkId: 'serfHealth',
    name: 'Serf Health Status',
    status,
    notes: '',
    output,
    serviceId: '',
    type: 'serf',
    definition: {},
  };
}

/** consulService is the `consul` service a server registers (server RPC port, default 8300). */
export function consulService(port = 8300): ServiceRecord {
  return {
    id: 'consul',
    service: 'consul',
    tags: [],
    address: '',
    taggedAddresses: null,
    meta: { raft_version: '3', serf_protocol_current: '2', version: '1.21.4' },
    port,
    weights: { passing: 1, warning: 1 },
    enableTagOverride: false,
    kind: '',
  };
}
