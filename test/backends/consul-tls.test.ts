import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { createConsulBackend } from '../../src/backends/consul.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);

/** makePki writes a CA, a server cert for 127.0.0.1 and a client cert, all signed by the CA. */
async function makePki(t: TestContext): Promise<Record<string, string>> {
  const dir = await tempDir(t);
  const p = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
  ]);
  await writeFile(p('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const name of ['server', 'client']) {
    await run('openssl', [
      'req',
      ...ec,
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.csr`),
      '-subj',
      `/CN=${name}`,
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-out',
      p(`${name}.crt`),
      '-days',
      '1',
      '-extfile',
      p('san.ext'),
    ]);
  }
  return {
    ca: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
  };
}

test('consul over https with -client-ca-keys and a client certificate', async (t) => {
  const pki = await makePki(t);
  const peers: string[] = [];
  const server = createServer(
    {
      cert: await readFile(pki.serverCert),
      key: await readFile(pki.serverKey),
      ca: await readFile(pki.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      peers.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
      res
        .writeHead(200, { 'X-Consul-Index': '4' })
        .end(JSON.stringify([{ Key: 'secure/key', Value: Buffer.from('tls').toString('base64') }]));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  const node = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const backend = await createConsulBackend({
    node,
    scheme: 'https',
    clientCaKeys: pki.ca,
    clientCert: pki.clientCert,
    clientKey: pki.clientKey,
  });
  t.after(() => backend.close());
  assert.deepEqual([...(await backend.getValues(['/secure']))], [['/secure/key', 'tls']]);
  assert.deepEqual(peers, ['client']);

  // Without the client certificate the server refuses the handshake.
  const anonymous = await createConsulBackend({ node, scheme: 'https', clientCaKeys: pki.ca });
  t.after(() => anonymous.close());
  await assert.rejects(anonymous.getValues(['/secure']), (err) =>
    isConfdError(err, ErrorCode.BACKEND_UNREACHABLE),
  );
  // A missing TLS file is named.
  await assert.rejects(
    createConsulBackend({ node, scheme: 'https', clientCaKeys: '/nonexistent/ca.pem' }),
    (err) => {
      assert.ok(isConfdError(err, ErrorCode.CONFIG_INVALID));
      assert.match(err.message, /-client-ca-keys file \/nonexistent\/ca\.pem/);
      return true;
    },
  );
});
