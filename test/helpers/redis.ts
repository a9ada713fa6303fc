/**
 * Test helper: runs a real `redis-server` (tests declare `needs(tools.redis)`) on a free loopback
 * port and a unix socket in a per-test temp dir, without persistence, and stops it after the test.
 */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startChildServer } from './etcd.js';
import { freePort } from './free-port.js';
import { toolPath, tools } from './system-tools.js';
import { tempDir } from './temp-dir.js';

/** RunningRedis is a started redis-server. */
export interface RunningRedis {
  readonly port: number;
  /** `127.0.0.1:<port>`: a -node value. */
  readonly node: string;
  /** The unix socket path (also a valid -node value). */
  readonly socket: string;
  stop(): Promise<void>;
}

/**
 * startRedis starts redis-server; `args` are extra `--name value` arguments, `port` reuses a port
 * (to restart a server in place), otherwise a free one is picked.
 */
export async function startRedis(
  t: TestContext,
  args: string[] = [],
  options: { port?: number } = {},
): Promise<RunningRedis> {
  const dir = await tempDir(t, 'confd-redis-');
  const socket = join(dir, 'redis.sock');
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      const server = await startChildServer(
        t,
        toolPath(tools.redis),
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--unixsocket',
          socket,
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          ...args,
        ],
        /Ready to accept connections/,
      );
      return { port, node: `127.0.0.1:${port}`, socket, stop: () => server.stop() };
    } catch (err) {
      if (attempt >= 2) throw err; // the port may have been taken in between: try another
    }
  }
}
