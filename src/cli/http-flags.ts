/**
 * The "HTTP API Options" every Consul CLI command that talks to an agent takes (`-http-addr`,
 * `-token`, `-token-file`, `-ca-file`, `-ca-path`, `-client-cert`, `-client-key`,
 * `-tls-server-name`, `-datacenter`, `-stale`), and how they combine with the environment
 * (`CONSUL_HTTP_ADDR`, `CONSUL_HTTP_TOKEN`, `CONSUL_HTTP_SSL`, `CONSUL_CACERT`, ...) into the
 * options of the HTTP client, as the Consul CLI does: a flag given on the command line, even
 * empty, wins over its environment variable.
 */
import { readFile } from 'node:fs/promises';
import { ConfdError, ErrorCode } from '../errors.js';
import { parseGoBool } from '../go/strconv.js';
import { loadConsulTls } from './consul-tls.js';
import type { ConsulHttpOptions } from './consul-transport.js';
import { goFileError } from './go-file-error.js';
import type { FlagSpecs, ParsedFlags } from './kv-flags.js';

/** DEFAULT_HTTP_ADDR is where the Consul CLI looks for an agent without flag or env. */
export const DEFAULT_HTTP_ADDR = '127.0.0.1:8500';

/** httpFlags are Consul's client and server HTTP flags, accepted by every agent-facing command. */
export const httpFlags: FlagSpecs = {
  'http-addr': {
    kind: 'string',
    usage:
      'The address and port of the Consul HTTP agent. The value can be an IP address or DNS ' +
      'address, but it must also include the port. This can also be specified via the ' +
      'CONSUL_HTTP_ADDR environment variable. The default value is http://127.0.0.1:8500. ' +
      'Use https://host:port, or set CONSUL_HTTP_SSL=true, to talk TLS; unix:///path for a ' +
      'unix socket.',
  },
  token: {
    kind: 'string',
    usage:
      'ACL token to use in the request. This can also be specified via the CONSUL_HTTP_TOKEN ' +
      'environment variable. If unspecified, the query will default to the token of the Consul ' +
      'agent at the HTTP address.',
  },
  'token-file': {
    kind: 'string',
    usage:
      'File containing the ACL token to use in the request instead of one specified via the ' +
      '-token argument or CONSUL_HTTP_TOKEN environment variable. This can also be specified ' +
      'via the CONSUL_HTTP_TOKEN_FILE environment variable.',
  },
  'ca-file': {
    kind: 'string',
    usage:
      'PEM file of the certificate authorities trusted to sign the agent certificate over ' +
      'https (environment: CONSUL_CACERT). Takes precedence over -ca-path.',
  },
  'ca-path': {
    kind: 'string',
    usage:
      'Directory of PEM CA certificate files, read recursively, trusted over https ' +
      '(environment: CONSUL_CAPATH).',
  },
  'client-cert': {
    kind: 'string',
    usage:
      'PEM client certificate presented to an agent that verifies incoming https ' +
      'connections; needs -client-key (environment: CONSUL_CLIENT_CERT).',
  },
  'client-key': {
    kind: 'string',
    usage: 'PEM private key of -client-cert (environment: CONSUL_CLIENT_KEY).',
  },
  'tls-server-name': {
    kind: 'string',
    usage:
      'Server name sent as SNI and checked against the agent certificate, instead of the ' +
      'host of -http-addr (environment: CONSUL_TLS_SERVER_NAME).',
  },
  datacenter: {
    kind: 'string',
    usage:
      'Name of the datacenter to query. If unspecified, this will default to the datacenter of the queried agent.',
  },
  stale: {
    kind: 'bool',
    usage:
      'Permit any Consul server (non-leader) to respond to this request. This allows for lower ' +
      'latency and higher throughput, but can result in stale data. The default value is false.',
  },
};

type Env = Readonly<Record<string, string | undefined>>;

/** pick returns the flag's value when given on the command line, else the variable's. */
function pick(flags: ParsedFlags, name: string, env: Env, variable: string): string {
  return flags.set.has(name) ? flags.string(name) : (env[variable] ?? '');
}

async function readToken(flags: ParsedFlags, env: Env): Promise<string> {
  const token = pick(flags, 'token', env, 'CONSUL_HTTP_TOKEN');
  const tokenFile = pick(flags, 'token-file', env, 'CONSUL_HTTP_TOKEN_FILE');
  if (tokenFile === '') return token;
  // As the Go client: a non-empty token file wins over -token and CONSUL_HTTP_TOKEN.
  try {
    return (await readFile(tokenFile, 'utf8')).trim() || token;
  } catch (err) {
    throw new ConfdError(
      ErrorCode.CONFIG_FLAG,
      `Error loading token file: ${goFileError('open', tokenFile, err)}`,
      { cause: err },
    );
  }
}

function basicAuth(env: Env): ConsulHttpOptions['basicAuth'] {
  const auth = env.CONSUL_HTTP_AUTH ?? '';
  if (auth === '') return undefined;
  const colon = auth.indexOf(':');
  return colon === -1
    ? { username: auth, password: '' }
    : { username: auth.slice(0, colon), password: auth.slice(colon + 1) };
}

/**
 * resolveHttpOptions builds the Consul client options from the HTTP flags and the environment,
 * reading the token file and the TLS files. Throws `CFD_ERR_CONFIG_FLAG` (the Go client's text)
 * for an unreadable token file or a bad CA, certificate or key.
 */
export async function resolveHttpOptions(flags: ParsedFlags, env: Env): Promise<ConsulHttpOptions> {
  const address = flags.set.has('http-addr')
    ? flags.string('http-addr')
    : env.CONSUL_HTTP_ADDR || DEFAULT_HTTP_ADDR;
  const token = await readToken(flags, env);
  // Go's strconv.ParseBool; an unparsable CONSUL_HTTP_SSL means false, as in the Go client.
  const https = parseGoBool(env.CONSUL_HTTP_SSL ?? '') === true;
  // The Go client skips verification for any CONSUL_HTTP_SSL_VERIFY that is not true, a typo
  // included; only an explicit false value (0, f, false, ...) turns verification off here.
  const insecureSkipVerify = parseGoBool(env.CONSUL_HTTP_SSL_VERIFY ?? '') === false;
  const tls = await loadConsulTls({
    caFile: pick(flags, 'ca-file', env, 'CONSUL_CACERT'),
    caPath: pick(flags, 'ca-path', env, 'CONSUL_CAPATH'),
    certFile: pick(flags, 'client-cert', env, 'CONSUL_CLIENT_CERT'),
    keyFile: pick(flags, 'client-key', env, 'CONSUL_CLIENT_KEY'),
    serverName: pick(flags, 'tls-server-name', env, 'CONSUL_TLS_SERVER_NAME'),
    insecureSkipVerify,
  });
  const auth = basicAuth(env);
  return {
    address,
    token,
    datacenter: flags.string('datacenter'),
    stale: flags.bool('stale'),
    https,
    tls,
    ...(auth ? { basicAuth: auth } : {}),
  };
}
