/**
 * The redis backend: confd's redis store client with ioredis.
 *
 * - `-node host:port[/db]` or a unix socket path; nodes are tried in order until one connects.
 *   The password is `-client-key` (a confd quirk); `-separator` replaces `/` in keys.
 * - getValues, per key (with `/*` removed): `TYPE` string → `GET`; hash → `HSCAN`, each field
 *   served as `<key>/<field>`; anything else (including a missing key) → `SCAN MATCH <key>/*` and
 *   `GET` of each match.
 * - watchPrefix: the first call subscribes (`PSUBSCRIBE __keyspace@<db>__:<prefix>*`) and returns;
 *   later calls wait for a keyspace event under the prefix. Keyspace notifications are switched on
 *   with `CONFIG SET notify-keyspace-events` when the server allows it.
 */
import { existsSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { abortError, ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { throwIfAborted } from './abort.js';
import { connectError, connectRedis, isConnectionLoss } from './redis-connect.js';
import type { RedisConnection } from './redis-connect.js';
import { createRedisKeyMapper, escapeRedisGlob } from './redis-keys.js';
import type { RedisKeyMapper } from './redis-keys.js';
import type { Backend, WatchPrefixOptions } from './types.js';

/** RedisBackendOptions configures {@link createRedisBackend}. */
export interface RedisBackendOptions {
  nodes: readonly string[];
  /** The redis password (confd passes -client-key here). */
  password?: string | undefined;
  /** -separator; empty means `/`. */
  separator?: string | undefined;
  logger?: Logger | undefined;
  /** Tells whether a path exists (a unix socket node). Default fs.existsSync. */
  exists?: ((path: string) => boolean) | undefined;
}

interface PatternState {
  /** The sequence number of the last event on this pattern (0: none yet). */
  lastSeq: number;
  waiters: Set<(failure?: Error) => void>;
}

/** RedisBackend reads keys from redis and watches keyspace notifications. */
class RedisBackend implements Backend {
  readonly name = 'redis';
  readonly #nodes: readonly string[];
  readonly #password: string | undefined;
  readonly #keys: RedisKeyMapper;
  readonly #logger: Logger | undefined;
  readonly #exists: (path: string) => boolean;
  #main: RedisConnection | undefined;
  #mainConnecting: Promise<RedisConnection> | undefined;
  #sub: RedisConnection | undefined;
  #subConnecting: Promise<RedisConnection> | undefined;
  readonly #patterns = new Map<string, PatternState>();
  #seq = 1;
  #closing: Promise<void> | undefined;

  constructor(options: RedisBackendOptions) {
    this.#nodes = options.nodes;
    this.#password = options.password || undefined;
    this.#keys = createRedisKeyMapper(options.separator);
    this.#logger = options.logger;
    this.#exists = options.exists ?? existsSync;
  }

  async getValues(keys: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
    throwIfAborted(signal);
    const { client } = await this.#connection();
    const vars = new Map<string, string>();
    const sep = this.#keys.separator;
    for (const requested of new Set(keys)) {
      throwIfAborted(signal);
      const key = requested.replaceAll('/*', '');
      const k = this.#keys.toRedis(key);
      try {
        const type = await client.type(k);
        if (type === 'string') {
          const value = await client.get(k);
          if (value !== null) vars.set(key, value);
        } else if (type === 'hash') {
          let cursor = '0';
          do {
            const [next, items] = await client.hscan(k, cursor, 'MATCH', '*', 'COUNT', 1000);
            for (let i = 0; i + 1 < items.length; i += 2) {
              vars.set(this.#keys.toConfd(`${k}/${items[i]}`), items[i + 1] ?? '');
            }
            cursor = next;
          } while (cursor !== '0');
        } else {
          const pattern = key === '/' ? '*' : `${escapeRedisGlob(k)}${sep}*`;
          let cursor = '0';
          do {
            const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
            if (found.length > 0) {
              const answers = (await client.pipeline(found.map((f) => ['get', f])).exec()) ?? [];
              found.forEach((name, i) => {
                const [err, value] = answers[i] ?? [null, null];
                // As confd, keys that are not strings (GET fails) are skipped.
                if (!err && typeof value === 'string') vars.set(this.#keys.toConfd(name), value);
              });
            }
            cursor = next;
          } while (cursor !== '0');
        }
      } catch (err) {
        if (signal?.aborted || this.#closing) throw abortError(signal);
        throw new ConfdError(
          isConnectionLoss(err) ? ErrorCode.BACKEND_UNREACHABLE : ErrorCode.BACKEND_RESPONSE,
          `redis: reading ${k}: ${errorMessage(err)}`,
          { cause: err },
        );
      }
    }
    return vars;
  }

  async watchPrefix(prefix: string, options: WatchPrefixOptions): Promise<number> {
    const { waitIndex, signal } = options;
    throwIfAborted(signal);
    if (this.#closing) throw abortError(signal);
    const sub = await this.#subscriber();
    throwIfAborted(signal);
    if (this.#closing) throw abortError(signal);
    const pattern = `__keyspace@${sub.address.db}__:${escapeRedisGlob(this.#keys.toRedis(prefix))}*`;
    let state = this.#patterns.get(pattern);
    if (!state) {
      state = { lastSeq: 0, waiters: new Set() };
      this.#patterns.set(pattern, state);
      try {
        await sub.client.psubscribe(pattern);
      } catch (err) {
        this.#patterns.delete(pattern);
        if (this.#closing) throw abortError(signal);
        throw connectError(sub.address, err);
      }
      this.#logger?.debug(`redis: subscribed to ${pattern}`);
      // A new subscription (first call, or after the watch connection dropped) cannot know what
      // happened before it: hand out a fresh index so the caller re-reads.
      return waitIndex === 0 ? this.#seq : ++this.#seq;
    }
    if (waitIndex === 0 || state.lastSeq > waitIndex)
      return waitIndex === 0 ? this.#seq : state.lastSeq;
    const watched = state;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        watched.waiters.delete(wake);
        reject(abortError(signal));
      };
      const wake = (failure?: Error) => {
        signal.removeEventListener('abort', onAbort);
        if (failure) reject(failure);
        else resolve();
      };
      watched.waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return watched.lastSeq;
  }

  /** #connection returns the command connection, (re)connecting through the nodes in order. */
  #connection(): Promise<RedisConnection> {
    if (this.#closing) {
      return Promise.reject(new ConfdError(ErrorCode.ABORTED, 'redis backend is closed'));
    }
    if (this.#main && this.#main.client.status === 'ready') return Promise.resolve(this.#main);
    // Concurrent callers (several resources at once) share one connection attempt.
    this.#mainConnecting ??= (async () => {
      try {
        this.#main?.client.disconnect();
        this.#main = undefined;
        const conn = await connectRedis(this.#nodes, this.#connectOptions(5000));
        if (this.#closing) {
          conn.client.disconnect();
          throw new ConfdError(ErrorCode.ABORTED, 'redis backend is closed');
        }
        this.#main = conn;
        await this.#enableNotifications(conn.client);
        return conn;
      } finally {
        this.#mainConnecting = undefined;
      }
    })();
    return this.#mainConnecting;
  }

  #connectOptions(commandTimeout: number | undefined) {
    return {
      password: this.#password,
      commandTimeout,
      logger: this.#logger,
      exists: this.#exists,
    };
  }

  /** #enableNotifications turns on keyspace events (K + all classes) if the server lets us. */
  async #enableNotifications(client: Redis): Promise<void> {
    try {
      const answer = await client.config('GET', 'notify-keyspace-events');
      const current = answer[1] ?? '';
      if (current.includes('K') && current.includes('A')) return;
      const flags = [...new Set(`${current}KA`)].join('');
      await client.config('SET', 'notify-keyspace-events', flags);
    } catch (err) {
      this.#logger?.debug(`redis: cannot enable keyspace notifications: ${errorMessage(err)}`);
    }
  }

  /** #subscriber returns the subscription connection, creating it on first use. */
  #subscriber(): Promise<RedisConnection> {
    if (this.#sub && this.#sub.client.status === 'ready') return Promise.resolve(this.#sub);
    this.#subConnecting ??= (async () => {
      try {
        await this.#connection(); // also enables the notifications
        const conn = await connectRedis(this.#nodes, this.#connectOptions(undefined));
        if (this.#closing) {
          conn.client.disconnect();
          throw new ConfdError(ErrorCode.ABORTED, 'redis backend is closed');
        }
        conn.client.on('pmessage', (pattern: string) => this.#onEvent(pattern));
        conn.client.once('end', () => this.#onSubscriberEnd(conn));
        this.#sub = conn;
        return conn;
      } finally {
        this.#subConnecting = undefined;
      }
    })();
    return this.#subConnecting;
  }

  #onEvent(pattern: string): void {
    const state = this.#patterns.get(pattern);
    if (!state) return;
    state.lastSeq = ++this.#seq;
    const waiters = [...state.waiters];
    state.waiters.clear();
    for (const wake of waiters) wake();
  }

  #onSubscriberEnd(conn: RedisConnection): void {
    if (this.#sub !== conn) return;
    this.#sub = undefined;
    const failure = this.#closing
      ? new ConfdError(ErrorCode.ABORTED, 'redis backend is closed')
      : new ConfdError(
          ErrorCode.BACKEND_UNREACHABLE,
          `redis ${conn.address.address}: the watch connection was closed`,
        );
    const patterns = [...this.#patterns.values()];
    this.#patterns.clear();
    for (const state of patterns) {
      for (const wake of state.waiters) wake(failure);
      state.waiters.clear();
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const sub = this.#sub;
      this.#main?.client.disconnect();
      sub?.client.disconnect();
      if (sub) this.#onSubscriberEnd(sub);
      await Promise.resolve();
    })();
    return this.#closing;
  }
}

/** createRedisBackend builds the redis backend; connections open on first use. */
export function createRedisBackend(options: RedisBackendOptions): Backend {
  return new RedisBackend(options);
}
