import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { createConsulBackend } from '../../src/backends/consul.js';
import { listenLoopback } from '../helpers/http-server.js';
import { needs, tools } from '../helpers/system-tools.js';
import { makePki } from './pki.js';

test(
  'consul over https with -client-ca-keys and a client certificate',
  { skip: needs(tools.openssl) },
  async (t) => {
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
          .end(
            JSON.stringify([{ Key: 'secure/key', Value: Buffer.from('tls').toString('base64') }]),
          );
      },
    );
    const node = await listenLoopback(t, server);

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
  },
);
