/**
 * `-join` / `-retry-join` (`start_join`, `retry_join`; since Consul 1.15 the first is an alias of
 * the second): at start-up the agent tries the addresses in order until one admits it, then never
 * again; a round where none answered is retried after `retry_interval`, at most `retry_max` times
 * (0: forever), after which the agent exits 1. Log lines are Consul's.
 */
import type { WatchClock } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** RetryJoinOptions configure {@link retryJoin}. */
export interface RetryJoinOptions {
  readonly addresses: readonly string[];
  readonly join: (address: string) => Promise<void>;
  readonly intervalMs: number;
  /** 0: retry forever. */
  readonly max: number;
  readonly logger: Logger;
  readonly clock: WatchClock;
  readonly signal: AbortSignal;
}

/**
 * retryJoin resolves true once an address admitted the agent, false when `max` rounds failed (the
 * caller exits 1), or when aborted.
 */
export async function retryJoin(options: RetryJoinOptions): Promise<boolean> {
  const { addresses, logger, signal } = options;
  if (addresses.length === 0) return true;
  logger.info('Joining cluster...: cluster=LAN');
  for (let attempt = 1; !signal.aborted; attempt++) {
    logger.info(`(LAN) joining: lan_addresses=[${addresses.join(' ')}]`);
    for (const address of addresses) {
      try {
        await options.join(address);
        logger.info('Join cluster completed. Synced with initial agents: cluster=LAN num_agents=1');
        return true;
      } catch (err) {
        logger.warn(`(LAN) couldn't join: number_of_nodes=0 error="${errorMessage(err)}"`);
      }
    }
    if (options.max > 0 && attempt >= options.max) {
      logger.error('max join LAN retry exhausted, exiting');
      return false;
    }
    logger.warn(
      `Join cluster failed, will retry: cluster=LAN retry_interval=${options.intervalMs / 1000}s`,
    );
    if (!(await options.clock.sleep(options.intervalMs, signal))) return false;
  }
  return false;
}
