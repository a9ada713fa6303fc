/**
 * A throw-away PKI for the TLS tests of this folder: a CA, a server certificate for 127.0.0.1 and
 * a client certificate, made with the system `openssl` in a per-test temp dir (tests declare
 * `needs(tools.openssl)`).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { toolPath, tools } from '../helpers/system-tools.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);

/** Pki names the PEM files {@link makePki} wrote. */
export interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** makePki writes a CA, a server cert for 127.0.0.1 and a client cert, all signed by the CA. */
export async function makePki(t: TestContext): Promise<Pki> {
  const openssl = toolPath(tools.openssl);
  const dir = await tempDir(t);
  const p = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(openssl, [
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
    await run(openssl, [
      'req',
      ...ec,
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.csr`),
      '-subj',
      `/CN=${name}`,
    ]);
    await run(openssl, [
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
