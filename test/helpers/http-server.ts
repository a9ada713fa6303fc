/**
 * Test helper: a node:http(s) server on a free loopback port, closed (parked connections too)
 * when the test ends.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Server as TlsServer } from 'node:https';
import type { TestContext } from 'node:test';

/** listenLoopback starts `server` on 127.0.0.1:0 and resolves to its `127.0.0.1:<port>`. */
export async function listenLoopback(t: TestContext, server: Server | TlsServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/**
 * startNonBlockingConsul serves a broken "Consul" that answers every request at once with
 * `X-Consul-Index: <index>` and `[]`, as a proxy that drops blocking queries would; `requests`
 * counts what it answered.
 */
export async function startNonBlockingConsul(
  t: TestContext,
  index: number,
): Promise<{ node: string; requests(): number }> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.setHeader('X-Consul-Index', String(index));
    res.setHeader('Content-Type', 'application/json');
    res.end('[]');
  });
  return { node: await listenLoopback(t, server), requests: () => requests };
}
