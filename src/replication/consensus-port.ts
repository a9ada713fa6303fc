/**
 * The HTTP API's view of a replicated server ({@link ConsensusPort}) over its {@link EtcdLog}.
 */
import type { ConsensusPort } from '../store/http/context.js';
import type { EtcdLog } from './etcd-log.js';

/** consensusPort adapts log to the API's port. */
export function consensusPort(log: EtcdLog): ConsensusPort {
  return {
    leader: () => log.status().leader?.address ?? '',
    peers: () => log.status().servers.map((s) => s.address),
    readable(consistency, signal) {
      if (consistency === 'stale') return undefined;
      if (consistency === 'consistent') return log.barrier(signal);
      return log.inContact ? undefined : log.waitForContact(signal);
    },
  };
}
