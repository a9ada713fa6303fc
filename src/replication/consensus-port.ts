/**
 * The HTTP API's view of a replicated server ({@link ConsensusPort}) over its {@link EtcdLog}.
 */
import type { ConsensusPort } from '../store/http/context.js';
import type { EtcdLog } from './etcd-log.js';

/** consensusPort adapts log to the API's port. */
export function consensusPort(log: EtcdLog, self: string): ConsensusPort {
  return {
    leader: () => log.status().leader?.address ?? '',
    peers: () => log.status().servers.map((s) => s.address),
    servers() {
      const { leader, servers } = log.status();
      return servers.map((s) => ({
        id: s.id,
        node: s.name,
        address: s.address,
        leader: s.name === leader?.name,
        lastIndex: s.name === self ? log.appliedRevision : (s.applied ?? 0),
      }));
    },
    index: () => log.appliedRevision,
    async removePeer(match) {
      const found = log
        .status()
        .servers.find((s) =>
          match.id !== undefined ? s.id === match.id : s.address === match.address,
        );
      if (found === undefined) return false;
      await log.removeServer(found.name);
      return true;
    },
    readable(consistency) {
      if (consistency === 'stale') return undefined;
      if (consistency === 'consistent') return (signal) => log.barrier(signal);
      return log.inContact ? undefined : (signal) => log.waitForContact(signal);
    },
  };
}
