/**
 * Test and bench helper: a free loopback port for a child server (etcd, redis, the agent under
 * bench) to listen on.
 */
import { createServer } from 'node:net';

/** freePort asks the kernel for a free port on 127.0.0.1 (briefly bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
