/**
 * The TLS side of the Consul HTTP client: loads `-ca-file`/`-ca-path`, `-client-cert`/`-client-key`
 * and `-tls-server-name` as the Go client (`api.SetupTLSConfig` with go-rootcerts) does, and
 * reports bad files with its texts (`Error loading CA File: Couldn't parse PEM in: <path>`).
 */
import { X509Certificate } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ConfdError, ErrorCode } from '../errors.js';
import { goFileError } from './go-file-error.js';

/** ConsulTlsSettings are the TLS inputs of the Consul CLI, from its flags and environment. */
export interface ConsulTlsSettings {
  /** PEM bundle of trusted CAs (`-ca-file`, `CONSUL_CACERT`); wins over caPath. */
  readonly caFile: string;
  /** Directory of PEM CA files, walked recursively (`-ca-path`, `CONSUL_CAPATH`). */
  readonly caPath: string;
  /** Client certificate (`-client-cert`, `CONSUL_CLIENT_CERT`). */
  readonly certFile: string;
  /** Client key (`-client-key`, `CONSUL_CLIENT_KEY`). */
  readonly keyFile: string;
  /** Name to send as SNI and verify (`-tls-server-name`, `CONSUL_TLS_SERVER_NAME`); a port is cut. */
  readonly serverName: string;
  /** Skip certificate verification (`CONSUL_HTTP_SSL_VERIFY=false`). */
  readonly insecureSkipVerify: boolean;
}

/** ConsulTlsOptions are the loaded TLS options the HTTP transport connects with. */
export interface ConsulTlsOptions {
  /** Trusted CA certificates (PEM); undefined means Node's default roots. */
  readonly ca?: readonly string[];
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** The name to verify the server certificate against; undefined means the address's host. */
  readonly serverName?: string;
  readonly rejectUnauthorized: boolean;
}

const PEM_BLOCK = /-----BEGIN ([^-\r\n]+)-----[\s\S]*?-----END \1-----/g;

function pemBlocks(pem: Buffer): { type: string; text: string }[] {
  return [...pem.toString('latin1').matchAll(PEM_BLOCK)].map((m) => ({
    type: m[1],
    text: m[0],
  }));
}

/** certificatesIn returns the parseable certificates of a PEM bundle (Go's AppendCertsFromPEM). */
function certificatesIn(pem: Buffer): string[] {
  return pemBlocks(pem)
    .filter((b) => b.type === 'CERTIFICATE')
    .filter((b) => {
      try {
        new X509Certificate(b.text);
        return true;
      } catch {
        return false;
      }
    })
    .map((b) => b.text);
}

function tlsError(message: string, cause?: unknown): ConfdError {
  return new ConfdError(ErrorCode.CONFIG_FLAG, message, cause === undefined ? {} : { cause });
}

async function loadCaFile(path: string): Promise<string[]> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (err) {
    throw tlsError(`Error loading CA File: ${goFileError('open', path, err)}`, err);
  }
  const certs = certificatesIn(pem);
  if (certs.length === 0) throw tlsError(`Error loading CA File: Couldn't parse PEM in: ${path}`);
  return certs;
}

/** loadCaPath walks a directory as Go's filepath.Walk does (lstat, no symlinked directories). */
async function loadCaPath(path: string, out: string[] = []): Promise<string[]> {
  let isDir: boolean;
  try {
    isDir = (await lstat(path)).isDirectory();
  } catch (err) {
    throw tlsError(goFileError('lstat', path, err), err);
  }
  if (!isDir) {
    let pem: Buffer;
    try {
      pem = await readFile(path);
    } catch (err) {
      throw tlsError(`Error loading file from CAPath: ${goFileError('open', path, err)}`, err);
    }
    const certs = certificatesIn(pem);
    if (certs.length === 0) throw tlsError(`Error loading CA Path: Couldn't parse PEM in: ${path}`);
    out.push(...certs);
    return out;
  }
  let names: string[];
  try {
    names = (await readdir(path)).sort();
  } catch (err) {
    throw tlsError(goFileError('open', path, err), err);
  }
  for (const name of names) await loadCaPath(join(path, name), out);
  return out;
}

async function readKeyPairFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw tlsError(goFileError('open', path, err), err);
  }
}

/** loadKeyPair reads and checks a client certificate and key as Go's tls.LoadX509KeyPair. */
async function loadKeyPair(
  certFile: string,
  keyFile: string,
): Promise<{ cert: Buffer; key: Buffer }> {
  const cert = await readKeyPairFile(certFile);
  const key = await readKeyPairFile(keyFile);
  const certBlocks = pemBlocks(cert).filter((b) => b.type === 'CERTIFICATE');
  if (certBlocks.length === 0) {
    throw tlsError('tls: failed to find any PEM data in certificate input');
  }
  if (!pemBlocks(key).some((b) => b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY'))) {
    throw tlsError('tls: failed to find any PEM data in key input');
  }
  try {
    for (const b of certBlocks) new X509Certificate(b.text);
  } catch (err) {
    throw tlsError('x509: malformed certificate', err);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw tlsError(
      code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH'
        ? 'tls: private key does not match public key'
        : 'tls: failed to parse private key',
      err,
    );
  }
  return { cert, key };
}

/** hostOf cuts a port off a `host:port` or `[v6]:port` server name, as the Go client does. */
function hostOf(name: string): string {
  if (name.lastIndexOf(':') <= name.lastIndexOf(']')) return name;
  const host = name.slice(0, name.lastIndexOf(':'));
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * loadConsulTls reads the files named by the settings. As the Go client, it does so whatever the
 * address's scheme (a bad `-ca-file` fails even against `http://`), and `-ca-file` wins over
 * `-ca-path`. Throws `CFD_ERR_CONFIG_FLAG` with the Go client's texts.
 */
export async function loadConsulTls(settings: ConsulTlsSettings): Promise<ConsulTlsOptions> {
  let ca: string[] | undefined;
  if (settings.caFile !== '') ca = await loadCaFile(settings.caFile);
  else if (settings.caPath !== '') ca = await loadCaPath(settings.caPath);
  let pair: { cert: Buffer; key: Buffer } | undefined;
  if (settings.certFile !== '' && settings.keyFile !== '') {
    pair = await loadKeyPair(settings.certFile, settings.keyFile);
  } else if (settings.certFile !== '' || settings.keyFile !== '') {
    // The Go client silently ignores a lone -client-cert or -client-key; we say so instead.
    throw tlsError('both client cert and client key must be provided');
  }
  const serverName = settings.serverName === '' ? undefined : hostOf(settings.serverName);
  return {
    ...(ca ? { ca } : {}),
    ...(pair ?? {}),
    ...(serverName !== undefined ? { serverName } : {}),
    rejectUnauthorized: !settings.insecureSkipVerify,
  };
}
