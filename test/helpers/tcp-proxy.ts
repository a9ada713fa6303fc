/**
 * Test helper: a TCP proxy on a free loopback port in front of one address, whose link can be cut
 * (every connection reset, new ones refused) and restored, to cut one process off from another
 * without touching either (a network partition on loopback).
 */
import { createServer, connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

/** TcpProxy is a started proxy. */
export interface TcpProxy {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** How many connections were reset by `resetOnceAfterBytes` (0 or 1). */
  readonly resets: number;
  /** cut resets every open connection and refuses new ones until restore. */
  cut(): void;
  restore(): void;
}

/** TcpProxyOptions tune {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Reset the first connection that has carried this many bytes towards the client (once). */
  readonly resetOnceAfterBytes?: number;
}

/** startTcpProxy proxies a free port to `target` (`host:port`), closed after the test. */
export async function startTcpProxy(
  t: TestContext,
  target: string,
  options: TcpProxyOptions = {},
): Promise<TcpProxy> {
  let resetPending = options.resetOnceAfterBytes !== undefined;
  const [host, port] = [
    target.slice(0, target.lastIndexOf(':')),
    Number(target.slice(target.lastIndexOf(':') + 1)),
  ];
  const open = new Set<Socket>();
  let cut = false;
  let resets = 0;
  const server = createServer((client) => {
    if (cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(port, host);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    let carried = 0;
    upstream.on('data', (chunk: Buffer) => {
      carried += chunk.length;
      if (resetPending && carried >= (options.resetOnceAfterBytes ?? Infinity)) {
        resetPending = false;
        resets++;
        client.resetAndDestroy();
        upstream.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    address: `127.0.0.1:${bound}`,
    get resets() {
      return resets;
    },
    cut() {
      cut = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore() {
      cut = false;
    },
  };
}
