/**
 * Connecting to redis for the redis backend: the -node list is tried in order (as confd's
 * `tryConnect`), and failures are worded as Go's dialer does
 * (`dial tcp 127.0.0.1:1: connect: connection refused`).
 */
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { parseRedisNode } from './redis-keys.js';
import type { RedisAddress } from './redis-keys.js';

/** RedisConnection is an open ioredis client and the node it reached. */
export interface RedisConnection {
  client: Redis;
  address: RedisAddress;
}

/** ConnectRedisOptions configures {@link connectRedis}. */
export interface ConnectRedisOptions {
  password?: string | undefined;
  /** Per-command timeout in ms; none when unset (a subscription waits indefinitely). */
  commandTimeout?: number | undefined;
  logger?: Logger | undefined;
  /** Tells whether a path exists (a unix socket node). Default fs.existsSync. */
  exists?: ((path: string) => boolean) | undefined;
}

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  'EACCES',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const syscallTexts: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EHOSTUNREACH: 'no route to host',
};

/** isConnectionLoss tells a dropped or unusable connection from an error answer of the server. */
export function isConnectionLoss(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && unreachableCodes.has(code)) return true;
  return (
    err instanceof Error &&
    /Connection is closed|Stream isn't writeable|Command timed out/.test(err.message)
  );
}

/** connectError words a failed dial as redigo/Go does: `dial tcp 127.0.0.1:1: connect: connection refused`. */
export function connectError(address: RedisAddress, err: unknown): ConfdError {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && unreachableCodes.has(code)) {
    const text = syscallTexts[code];
    const net = address.network === 'unix' ? 'unix' : 'tcp';
    const where = address.network === 'unix' ? address.path : `${address.host}:${address.port}`;
    return new ConfdError(
      ErrorCode.BACKEND_UNREACHABLE,
      text
        ? `dial ${net} ${where}: connect: ${text}`
        : `dial ${net} ${where}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  if (err instanceof Error && /^connect ETIMEDOUT|Connection is closed/.test(err.message)) {
    return new ConfdError(
      ErrorCode.BACKEND_UNREACHABLE,
      `redis ${address.address}: ${err.message}`,
      {
        cause: err,
      },
    );
  }
  return new ConfdError(
    ErrorCode.BACKEND_RESPONSE,
    `redis ${address.address}: ${errorMessage(err)}`,
    {
      cause: err,
    },
  );
}

/**
 * connectRedis connects to the first node that accepts (1 s connect timeout, no automatic
 * reconnection: the backend reconnects on next use), or throws the last node's error.
 */
export async function connectRedis(
  nodes: readonly string[],
  options: ConnectRedisOptions,
): Promise<RedisConnection> {
  let lastError: ConfdError | undefined;
  for (const node of nodes) {
    const address = parseRedisNode(node, options.exists ?? existsSync);
    options.logger?.debug(`Trying to connect to redis node ${address.address}`);
    const redisOptions: RedisOptions = {
      db: address.db,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
      // confd reads with a 1 s timeout on its command connection; the subscription has none.
      ...(options.commandTimeout ? { commandTimeout: options.commandTimeout } : {}),
      ...(options.password ? { password: options.password } : {}),
      ...(address.network === 'unix'
        ? { path: address.path }
        : { host: address.host, port: address.port }),
    };
    const client = new Redis(redisOptions);
    let lastEvent: unknown;
    client.on('error', (err: unknown) => {
      lastEvent = err;
    });
    try {
      await client.connect();
      return { client, address };
    } catch (err) {
      client.disconnect();
      lastError = connectError(address, lastEvent ?? err);
    }
  }
  throw lastError ?? new ConfdError(ErrorCode.CONFIG_FLAG, 'redis: no -node given');
}
