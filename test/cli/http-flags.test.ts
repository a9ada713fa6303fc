// The HTTP API options of `confd kv` and friends: what a real server sees for each combination
// of flags and CONSUL_* variables, and the Go texts of TLS failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { goTlsError } from '../../src/cli/go-net-errors.js';
import { listenLoopback } from '../helpers/http-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { kv } from './kv-in-process.js';

test('flags given on the command line win over CONSUL_* variables, even when empty', async (t) => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.end('[{"Key":"k","Flags":0,"Value":"dg==","CreateIndex":1,"ModifyIndex":1}]');
  });
  const addr = await listenLoopback(t, server);
  const tokenFile = join(await tempDir(t), 'token');
  await writeFile(tokenFile, '  file-token\n');
  const env = {
    CONSUL_HTTP_ADDR: `http://${addr}`,
    CONSUL_HTTP_TOKEN: 'env-token',
    CONSUL_HTTP_AUTH: 'user:pa:ss',
  };
  const ok = { code: 0, stdout: 'v\n', stderr: '' };
  assert.deepEqual(await kv(env, ['get', 'k']), ok);
  assert.deepEqual(await kv(env, ['get', '-token=', 'k']), ok);
  assert.deepEqual(await kv({ ...env, CONSUL_HTTP_TOKEN_FILE: tokenFile }, ['get', 'k']), ok);
  assert.equal(seen[0]?.['x-consul-token'], 'env-token');
  assert.equal(seen[0]?.authorization, `Basic ${Buffer.from('user:pa:ss').toString('base64')}`);
  assert.equal(seen[1]?.['x-consul-token'], undefined);
  assert.equal(seen[2]?.['x-consul-token'], 'file-token');
  // CONSUL_HTTP_SSL takes Go's booleans; "http://" does not turn TLS off again.
  const ssl = await kv({ ...env, CONSUL_HTTP_SSL: 'T' }, ['get', 'k']);
  assert.equal(ssl.code, 1);
  assert.match(
    ssl.stderr,
    new RegExp(
      `^Error querying Consul agent: Get "https://${addr.replaceAll('.', '\\.')}/v1/kv/k": `,
    ),
  );
  assert.deepEqual(await kv({ ...env, CONSUL_HTTP_SSL: 'yes' }, ['get', 'k']), ok);
  // An http:// address still reads a bad CA file, and says so.
  assert.deepEqual(await kv(env, ['get', '-ca-file=/nonexistent/ca.pem', 'k']), {
    code: 1,
    stdout: '',
    stderr:
      'Error connecting to Consul agent: Error loading CA File: open /nonexistent/ca.pem: no such file or directory\n',
  });
});

test('TLS failures read as Go crypto/tls and crypto/x509 describe them', () => {
  const verify = 'tls: failed to verify certificate: x509: ';
  assert.equal(
    goTlsError({ code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    `${verify}certificate signed by unknown authority`,
  );
  assert.equal(
    goTlsError({ code: 'CERT_HAS_EXPIRED' }),
    `${verify}certificate has expired or is not yet valid`,
  );
  const altnames = (host: string, subjectaltname: string) =>
    goTlsError({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', host, cert: { subjectaltname } });
  assert.equal(
    altnames('10.0.0.1', 'DNS:localhost'),
    `${verify}cannot validate certificate for 10.0.0.1 because it doesn't contain any IP SANs`,
  );
  assert.equal(
    altnames('10.0.0.1', 'DNS:localhost, IP Address:127.0.0.1, IP Address:::1'),
    `${verify}certificate is valid for 127.0.0.1, ::1, not 10.0.0.1`,
  );
  assert.equal(
    altnames('a.test', 'IP Address:127.0.0.1'),
    `${verify}certificate is not valid for any names, but wanted to match a.test`,
  );
  assert.equal(
    goTlsError({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }),
    'remote error: tls: certificate required',
  );
  assert.equal(
    goTlsError({ code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE' }),
    'remote error: tls: bad certificate',
  );
  assert.equal(goTlsError({ code: 'ECONNREFUSED' }), undefined);
});
