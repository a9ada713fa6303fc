/**
 * Test helper: a node:http(s) server on a free loopback port, closed (parked connections too)
 * when the test ends.
 */
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
