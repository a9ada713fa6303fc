/**
 * The agent's replicated-server options: `-etcd-endpoints` and friends (and their config-file
 * keys). A server with endpoints shares one command log with the other servers of its datacenter
 * in that etcd cluster (src/replication); without, it keeps its own log on disk.
 */
import type { ReplicationSettings } from '../replication/open.js';
import type { FlagSpec } from './agent-flags.js';

export type { ReplicationSettings };

/** ReplicationLayer is what config files may set (snake_case keys `etcd_*`). */
export interface ReplicationLayer {
  endpoints?: string[];
  prefix?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  leaseTtl?: string;
  snapshotInterval?: string;
  snapshotThreshold?: number;
}

/** replicationFlags are the `confd agent` flags of this module. */
export const replicationFlags: readonly FlagSpec[] = [
  {
    name: 'etcd-endpoints',
    kind: 'list',
    placeholder: 'value',
    usage:
      'etcd client URLs (comma-separated or repeated): this server shares its log with the other servers in that etcd cluster.',
  },
  {
    name: 'etcd-prefix',
    kind: 'string',
    placeholder: 'string',
    usage: 'The key prefix of the log in etcd. Default /confd/<datacenter>/.',
  },
  { name: 'etcd-ca-file', kind: 'string', usage: 'CA certificate to verify etcd (PEM).' },
  { name: 'etcd-cert-file', kind: 'string', usage: 'Client certificate for etcd (PEM).' },
  { name: 'etcd-key-file', kind: 'string', usage: 'Client key for etcd (PEM).' },
  { name: 'etcd-username', kind: 'string', usage: 'etcd user (with -etcd-password).' },
  { name: 'etcd-password', kind: 'string', usage: 'etcd password.' },
];

/** FILE_KEYS maps config-file keys to their layer field. */
const FILE_KEYS: Readonly<Record<string, keyof ReplicationLayer>> = {
  etcd_endpoints: 'endpoints',
  etcd_prefix: 'prefix',
  etcd_ca_file: 'caFile',
  etcd_cert_file: 'certFile',
  etcd_key_file: 'keyFile',
  etcd_username: 'username',
  etcd_password: 'password',
  etcd_lease_ttl: 'leaseTtl',
  // Consul's own keys for when Raft snapshots; here: snapshots into etcd, then compaction.
  raft_snapshot_interval: 'snapshotInterval',
  raft_snapshot_threshold: 'snapshotThreshold',
};

/**
 * readReplicationKey stores a config-file key of this module into layer; false when the key is
 * not one of ours. `fail` reports a value of the wrong type.
 */
export function readReplicationKey(
  layer: ReplicationLayer,
  key: string,
  value: unknown,
  fail: (expected: string) => never,
): boolean {
  const field = FILE_KEYS[key];
  if (field === undefined) return false;
  if (field === 'endpoints') {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      return fail('a list of strings');
    }
    layer.endpoints = [...(layer.endpoints ?? []), ...value];
    return true;
  }
  if (field === 'snapshotThreshold') {
    if (!Number.isSafeInteger(value) || (value as number) < 1) return fail('a positive integer');
    layer.snapshotThreshold = value as number;
    return true;
  }
  if (typeof value !== 'string') return fail('a string');
  layer[field] = value;
  return true;
}

/**
 * resolveReplication merges flags over the file layer. Undefined when no endpoints are given;
 * `invalid` builds the configuration error for a bad value.
 */
export function resolveReplication(
  flag: <T>(name: string) => T | undefined,
  layer: ReplicationLayer | undefined,
  context: {
    datacenter: string;
    server: boolean;
    dev: boolean;
    /** Parses a duration key (undefined text: the default given). */
    duration: (key: string, text: string | undefined, fallbackMs: number) => number;
  },
  invalid: (message: string) => Error,
): ReplicationSettings | undefined {
  const fromFlags = (flag<string[]>('etcd-endpoints') ?? []).flatMap((v) => v.split(','));
  const endpoints = [...(layer?.endpoints ?? []), ...fromFlags]
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (endpoints.length === 0) return undefined;
  if (!context.server || context.dev) {
    throw invalid('etcd_endpoints: only a server agent (-server, not -dev) keeps its log in etcd');
  }
  let prefix = flag<string>('etcd-prefix') ?? layer?.prefix ?? `/confd/${context.datacenter}/`;
  if (!prefix.endsWith('/')) prefix += '/';
  const username = flag<string>('etcd-username') ?? layer?.username;
  const password = flag<string>('etcd-password') ?? layer?.password;
  if ((username === undefined) !== (password === undefined)) {
    throw invalid('etcd_username and etcd_password: give both or neither');
  }
  const ttlMs = context.duration('etcd_lease_ttl', layer?.leaseTtl, 5000);
  if (ttlMs < 2000) throw invalid('etcd_lease_ttl: must be at least 2s (etcd raises it to that)');
  return {
    endpoints: [...new Set(endpoints)],
    prefix,
    caFile: flag<string>('etcd-ca-file') ?? layer?.caFile,
    certFile: flag<string>('etcd-cert-file') ?? layer?.certFile,
    keyFile: flag<string>('etcd-key-file') ?? layer?.keyFile,
    username,
    password,
    leaseTtlSeconds: Math.round(ttlMs / 1000),
    snapshotIntervalMs: context.duration('raft_snapshot_interval', layer?.snapshotInterval, 30_000),
    snapshotThreshold: layer?.snapshotThreshold ?? 16_384,
  };
}
