/**
 * openEtcdLog builds a replicated server's log from its settings: the etcd gateway client over
 * the endpoints (TLS files, user and password), then the {@link EtcdLog}.
 */
import { createEtcdGateway } from '../backends/etcd-gateway.js';
import type { Logger } from '../log.js';
import { EtcdCalls } from './etcd-calls.js';
import { EtcdLog, type ServerInfo } from './etcd-log.js';

/** ReplicationSettings are the resolved options; read from `-etcd-*` flags and `etcd_*` keys. */
export interface ReplicationSettings {
  readonly endpoints: readonly string[];
  /** The key prefix of this datacenter's log, ending in `/`. */
  readonly prefix: string;
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** The leader lease's TTL in seconds (`etcd_lease_ttl`). */
  readonly leaseTtlSeconds: number;
  /** How often the leader checks for a due snapshot (`raft_snapshot_interval`). */
  readonly snapshotIntervalMs: number;
  /** Log entries between snapshots into etcd (`raft_snapshot_threshold`). */
  readonly snapshotThreshold: number;
}

/** openEtcdLog connects (lazily: nothing is sent until the store starts the log). */
export async function openEtcdLog(
  settings: ReplicationSettings,
  self: ServerInfo & { logger: Logger },
): Promise<EtcdLog> {
  const { logger, ...server } = self;
  const gateway = await createEtcdGateway({
    nodes: settings.endpoints,
    clientCert: settings.certFile,
    clientKey: settings.keyFile,
    clientCaKeys: settings.caFile,
    basicAuth:
      settings.username === undefined
        ? undefined
        : { username: settings.username, password: settings.password ?? '' },
    logger,
  });
  return new EtcdLog({
    calls: new EtcdCalls(gateway),
    prefix: settings.prefix,
    self: server,
    logger,
    leaseTtlSeconds: settings.leaseTtlSeconds,
    snapshotIntervalMs: settings.snapshotIntervalMs,
    snapshotThreshold: settings.snapshotThreshold,
  });
}
