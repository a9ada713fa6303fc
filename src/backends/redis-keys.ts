/**
 * confd's redis key mapping. With the default separator `/` keys are used verbatim (leading `/`
 * included); with another `-separator` the leading `/` is dropped and every `/` becomes the
 * separator (`/database/host` → `database:host`), and returned keys map back the other way.
 */

/** RedisKeyMapper converts between confd keys and redis keys for one separator. */
export interface RedisKeyMapper {
  readonly separator: string;
  /** toRedis maps a confd key to the redis key (confd's `transform`). */
  toRedis(key: string): string;
  /** toConfd maps a redis key to the confd key (confd's `clean`). */
  toConfd(key: string): string;
}

/** createRedisKeyMapper builds the mapper; an empty separator means `/`, as in confd. */
export function createRedisKeyMapper(separator = ''): RedisKeyMapper {
  const sep = separator || '/';
  return {
    separator: sep,
    toRedis: (key) => (sep === '/' ? key : key.replace(/^\//, '').replaceAll('/', sep)),
    toConfd: (key) => (key.startsWith('/') ? key : `/${key}`).replaceAll(sep, '/'),
  };
}

/** escapeRedisGlob escapes the glob characters of a literal for MATCH / PSUBSCRIBE patterns. */
export function escapeRedisGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** RedisAddress is a parsed redis `-node`. */
export interface RedisAddress {
  /** `tcp` for host:port, `unix` for a socket path. */
  network: 'tcp' | 'unix';
  host: string;
  port: number;
  path: string;
  db: number;
  /** The address as confd dials it (host:port or the socket path), for messages. */
  address: string;
}

/**
 * parseRedisNode parses `host:port[/db]` or a unix socket path `[/db]`. As confd, the address is a
 * unix socket when a file exists at that path (`exists` tells), tcp otherwise.
 */
export function parseRedisNode(node: string, exists: (path: string) => boolean): RedisAddress {
  let address = node;
  let db = 0;
  const slash = node.lastIndexOf('/');
  if (slash > 0 && /^\d+$/.test(node.slice(slash + 1))) {
    db = Number(node.slice(slash + 1));
    address = node.slice(0, slash);
  }
  if (exists(address) || address.startsWith('/')) {
    return { network: 'unix', host: '', port: 0, path: address, db, address };
  }
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(address);
  const host = m?.[1] ?? m?.[2] ?? '';
  const port = m?.[3] ? Number(m[3]) : 6379;
  return { network: 'tcp', host: host || '127.0.0.1', port, path: '', db, address };
}
