/**
 * Turns a {@link SessionRequest} into a session record with Consul's defaults, or a typed error
 * with Consul's message. Runs before the command is appended (the ID is generated here).
 */
import { randomUUID } from 'node:crypto';
import { ConfdError, ErrorCode } from '../errors.js';
import type { SessionRecord } from './commands.js';
import { formatGoDuration, parseGoDuration } from '../go/duration.js';
import type { SessionRequest } from './types.js';

/** DEFAULT_LOCK_DELAY_NS is Consul's default session lock-delay, 15 s. */
export const DEFAULT_LOCK_DELAY_NS = 15e9;
const MIN_TTL_NS = 10e9;
const MAX_TTL_NS = 86400e9;

/** sessionTtlMs returns a session's TTL in milliseconds, 0 when it has none. */
export function sessionTtlMs(ttl: string): number {
  if (ttl === '') return 0;
  return (parseGoDuration(ttl) ?? 0) / 1e6;
}

/** buildSessionRecord validates request and fills Consul's defaults (Node, LockDelay, Behavior, checks). */
export function buildSessionRecord(
  request: SessionRequest,
  nodeName: string,
  newId: () => string = randomUUID,
): SessionRecord {
  for (const field of ['name', 'node', 'ttl'] as const) {
    const v = request[field];
    if (v !== undefined && typeof v !== 'string') {
      throw new ConfdError(ErrorCode.STORE_INVALID_COMMAND, `${field}: must be a string`);
    }
  }
  if (
    request.nodeChecks !== undefined &&
    (!Array.isArray(request.nodeChecks) || request.nodeChecks.some((c) => typeof c !== 'string'))
  ) {
    throw new ConfdError(ErrorCode.STORE_INVALID_COMMAND, 'nodeChecks: must be a list of strings');
  }
  const ttl = request.ttl ?? '';
  if (ttl !== '') {
    const ns = parseGoDuration(ttl);
    if (ns === undefined) {
      throw new ConfdError(ErrorCode.STORE_INVALID_COMMAND, `Invalid Session TTL '${ttl}'`);
    }
    if (ns !== 0 && (ns < MIN_TTL_NS || ns > MAX_TTL_NS)) {
      throw new ConfdError(
        ErrorCode.STORE_INVALID_COMMAND,
        `Invalid Session TTL '${ttl}', must be between [${formatGoDuration(MIN_TTL_NS)}=${formatGoDuration(MAX_TTL_NS)}]`,
      );
    }
  }
  const behavior = request.behavior ?? 'release';
  if (behavior !== 'release' && behavior !== 'delete') {
    throw new ConfdError(
      ErrorCode.STORE_INVALID_COMMAND,
      `Invalid Behavior setting '${String(behavior)}'`,
    );
  }
  // Consul keeps a negative LockDelay (a JSON `-5` is -5s): it arms no lock-delay.
  const lockDelayNs = request.lockDelayNs ?? DEFAULT_LOCK_DELAY_NS;
  if (!Number.isFinite(lockDelayNs)) {
    throw new ConfdError(ErrorCode.STORE_INVALID_COMMAND, `Invalid LockDelay ${lockDelayNs}`);
  }
  return {
    id: newId(),
    name: request.name ?? '',
    node: request.node ?? nodeName,
    lockDelayNs,
    behavior,
    ttl,
    nodeChecks: [...(request.nodeChecks ?? ['serfHealth'])],
    serviceChecks: request.serviceChecks ? request.serviceChecks.map((c) => ({ id: c.id })) : null,
  };
}
