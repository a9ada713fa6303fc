// `confd kv`, `confd catalog` and `confd members` over https, as real `bin/confd` processes: a
// node:https reverse proxy (certificates made with openssl in the test's temp dir) in front of a
// real agent, which itself listens on plain HTTP only.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, type ServerOptions } from 'node:https';
import { join } from 'node:path';
import { execa } from 'execa';
import { startAgent } from '../helpers/agent.js';
import { confdBin } from '../helpers/paths.js';
import { needs, toolPath, tools } from '../helpers/system-tools.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** confd runs `bin/confd ...args` with only `env` (no CONSUL_* from the outside). */
async function confd(env: Record<string, string>, args: string[]): Promise<Run> {
  const r = await execa(process.execPath, [confdBin, ...args], {
    env,
    extendEnv: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    reject: false,
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const ok = (stdout: string): Run => ({ code: 0, stdout, stderr: '' });
const fail = (stderr: string): Run => ({ code: 1, stdout: '', stderr });

interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly otherCaCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await execa(toolPath(tools.openssl), args, { cwd: dir });
}

/** makePki creates a CA, a server cert (localhost, consul.test, 127.0.0.1), a client cert. */
async function makePki(t: TestContext): Promise<Pki> {
  const dir = await tempDir(t);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const ca = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=keyCertSign'];
  for (const name of ['ca', 'other-ca']) {
    await openssl(
      dir,
      ['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`].concat([
        '-subj',
        `/CN=${name}`,
        '-days',
        '2',
        ...ca,
      ]),
    );
  }
  const leaves: Record<string, string> = {
    server:
      'subjectAltName=DNS:localhost,DNS:consul.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
    client: 'extendedKeyUsage=clientAuth\n',
  };
  for (const [name, ext] of Object.entries(leaves)) {
    await writeFile(join(dir, `${name}.ext`), ext);
    await openssl(
      dir,
      ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`].concat([
        '-subj',
        `/CN=${name}`,
      ]),
    );
    await openssl(
      dir,
      ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key'].concat([
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        `${name}.crt`,
        '-extfile',
        `${name}.ext`,
      ]),
    );
  }
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    otherCaCert: join(dir, 'other-ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
}

/** startProxy serves https on 127.0.0.1:0 and forwards every request to the agent. */
async function startProxy(t: TestContext, agentPort: number, tls: ServerOptions): Promise<number> {
  const server = createServer(tls, (req, res) => {
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: agentPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  // A client the server refuses (no certificate) must not fail the test through the server.
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

test(
  'confd kv/catalog/members talk https with -ca-file, client certs and server names',
  { skip: needs(tools.openssl) },
  async (t) => {
    const pki = await makePki(t);
    const agent = await startAgent(t, ['-dns-port', '-1']);
    const [key, cert, ca] = await Promise.all(
      [pki.serverKey, pki.serverCert, pki.caCert].map((f) => readFile(f)),
    );
    const port = await startProxy(t, agent.port, { key, cert });
    const mtlsPort = await startProxy(t, agent.port, {
      key,
      cert,
      ca,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const https = `https://127.0.0.1:${port}`;
    const url = (p: number, path: string) => `https://127.0.0.1:${p}/v1/kv/${path}`;

    await t.test('-http-addr https:// with -ca-file writes and reads', async () => {
      assert.deepEqual(
        await confd({}, [
          'kv',
          'put',
          `-http-addr=${https}`,
          `-ca-file=${pki.caCert}`,
          'tls/k',
          'v',
        ]),
        ok('Success! Data written to: tls/k\n'),
      );
      assert.deepEqual(
        await confd({}, ['kv', 'get', '-http-addr', https, '-ca-file', pki.caCert, 'tls/k']),
        ok('v\n'),
      );
    });

    await t.test('CONSUL_HTTP_SSL, CONSUL_CACERT and CONSUL_CAPATH', async () => {
      const env = { CONSUL_HTTP_ADDR: `127.0.0.1:${port}`, CONSUL_HTTP_SSL: 'true' };
      assert.deepEqual(
        await confd({ ...env, CONSUL_CACERT: pki.caCert }, ['kv', 'get', 'tls/k']),
        ok('v\n'),
      );
      const caDir = join(pki.dir, 'cas', 'nested');
      await mkdir(caDir, { recursive: true });
      await writeFile(join(caDir, 'ca.pem'), ca);
      assert.deepEqual(
        await confd({ ...env, CONSUL_CAPATH: join(pki.dir, 'cas') }, ['kv', 'get', 'tls/k']),
        ok('v\n'),
      );
      // A -ca-file flag wins over the environment.
      assert.deepEqual(
        await confd({ ...env, CONSUL_CACERT: pki.otherCaCert }, [
          'kv',
          'get',
          `-ca-file=${pki.caCert}`,
          'tls/k',
        ]),
        ok('v\n'),
      );
    });

    await t.test("a certificate from an unknown CA fails with Go's text and exit 1", async () => {
      const unknown = `Error querying Consul agent: Get "${url(port, 'tls/k')}": tls: failed to verify certificate: x509: certificate signed by unknown authority\n`;
      assert.deepEqual(
        await confd({}, [
          'kv',
          'get',
          `-http-addr=${https}`,
          `-ca-file=${pki.otherCaCert}`,
          'tls/k',
        ]),
        fail(unknown),
      );
      // Without a CA, Node's default roots do not know the test CA either.
      assert.deepEqual(
        await confd({ CONSUL_HTTP_ADDR: https }, ['kv', 'get', 'tls/k']),
        fail(unknown),
      );
      // CONSUL_HTTP_SSL_VERIFY=false skips verification.
      assert.deepEqual(
        await confd({ CONSUL_HTTP_ADDR: https, CONSUL_HTTP_SSL_VERIFY: 'false' }, [
          'kv',
          'get',
          'tls/k',
        ]),
        ok('v\n'),
      );
    });

    await t.test('-tls-server-name picks the name the certificate must match', async () => {
      const base = ['kv', 'get', `-http-addr=${https}`, `-ca-file=${pki.caCert}`];
      assert.deepEqual(
        await confd({}, [...base, '-tls-server-name=consul.test', 'tls/k']),
        ok('v\n'),
      );
      assert.deepEqual(
        await confd({ CONSUL_TLS_SERVER_NAME: 'consul.test:8501' }, [...base, 'tls/k']),
        ok('v\n'),
      );
      assert.deepEqual(
        await confd({}, [...base, '-tls-server-name=wrong.test', 'tls/k']),
        fail(
          `Error querying Consul agent: Get "${url(port, 'tls/k')}": tls: failed to verify certificate: x509: certificate is valid for localhost, consul.test, not wrong.test\n`,
        ),
      );
    });

    await t.test(
      'an agent requiring client certificates gets -client-cert/-client-key',
      async () => {
        const addr = `-http-addr=https://127.0.0.1:${mtlsPort}`;
        const base = ['kv', 'get', addr, `-ca-file=${pki.caCert}`];
        assert.deepEqual(
          await confd({}, [
            ...base,
            `-client-cert=${pki.clientCert}`,
            `-client-key=${pki.clientKey}`,
            'tls/k',
          ]),
          ok('v\n'),
        );
        assert.deepEqual(
          await confd({ CONSUL_CLIENT_CERT: pki.clientCert, CONSUL_CLIENT_KEY: pki.clientKey }, [
            ...base,
            'tls/k',
          ]),
          ok('v\n'),
        );
        // Node's https server closes the connection (Go's would send a "certificate required"
        // alert): Go prints EOF, we add a hint.
        assert.deepEqual(
          await confd({}, [...base, 'tls/k']),
          fail(
            `Error querying Consul agent: Get "${url(mtlsPort, 'tls/k')}": EOF (the agent closed the TLS connection; if it verifies incoming connections, give -client-cert and -client-key)\n`,
          ),
        );
      },
    );

    await t.test('bad TLS files are reported before connecting, exit 1', async () => {
      const get = (...flags: string[]) =>
        confd({}, ['kv', 'get', `-http-addr=${https}`, ...flags, 'tls/k']);
      const missing = join(pki.dir, 'missing.pem');
      assert.deepEqual(
        await get(`-ca-file=${missing}`),
        fail(
          `Error connecting to Consul agent: Error loading CA File: open ${missing}: no such file or directory\n`,
        ),
      );
      assert.deepEqual(
        await get(`-ca-file=${pki.serverKey}`),
        fail(
          `Error connecting to Consul agent: Error loading CA File: Couldn't parse PEM in: ${pki.serverKey}\n`,
        ),
      );
      assert.deepEqual(
        await get(`-ca-path=${pki.dir}`),
        fail(
          `Error connecting to Consul agent: Error loading CA Path: Couldn't parse PEM in: ${join(pki.dir, 'ca.key')}\n`,
        ),
      );
      assert.deepEqual(
        await get(`-client-cert=${pki.clientCert}`),
        fail(
          'Error connecting to Consul agent: both client cert and client key must be provided\n',
        ),
      );
      assert.deepEqual(
        await get(`-client-cert=${pki.clientCert}`, `-client-key=${pki.serverKey}`),
        fail('Error connecting to Consul agent: tls: private key does not match public key\n'),
      );
      assert.deepEqual(
        await get(`-client-cert=${pki.clientKey}`, `-client-key=${pki.clientKey}`),
        fail(
          'Error connecting to Consul agent: tls: failed to find any PEM data in certificate input\n',
        ),
      );
    });

    await t.test('https:// against a plain-HTTP agent says so', async () => {
      const plain = agent.url.replace(/^http:/, 'https:');
      assert.deepEqual(
        await confd({}, ['kv', 'get', `-http-addr=${plain}`, 'tls/k']),
        fail(
          `Error querying Consul agent: Get "${plain}/v1/kv/tls/k": http: server gave HTTP response to HTTPS client\n`,
        ),
      );
    });

    await t.test('catalog and members use the same TLS flags', async () => {
      const flags = [`-http-addr=${https}`, `-ca-file=${pki.caCert}`];
      assert.deepEqual(await confd({}, ['catalog', 'datacenters', ...flags]), ok('dc1\n'));
      const members = await confd({ CONSUL_HTTP_ADDR: https, CONSUL_CACERT: pki.caCert }, [
        'members',
      ]);
      assert.equal(members.code, 0, members.stderr);
      assert.match(members.stdout, /^Node +Address +Status +Type/);
      const refused = await confd({}, ['catalog', 'datacenters', `-http-addr=${https}`]);
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /^Error listing datacenters: Get ".*": tls: failed to verify certificate: x509: certificate signed by unknown authority\n$/,
      );
    });
  },
);
