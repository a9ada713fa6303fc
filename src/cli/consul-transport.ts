/**
 * The HTTP transport of the CLI's Consul clients, on undici: resolves the agent address as the Go
 * client `github.com/hashicorp/consul/api` does (`http://`, `https://`, `unix://`, bare
 * `host:port`), connects over TLS with the loaded `-ca-file`/`-client-cert`/... options, adds the
 * token, basic auth and `?dc=`/`?stale`, and reports failures with the Go client's texts
 * (`Get "http://...": dial tcp ...: connect: connection refused`).
 */
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { ConfdError, ErrorCode } from '../errors.js';
import type { ConsulTlsOptions } from './consul-tls.js';
import { goDialError } from './go-net-errors.js';

/** ConsulHttpOptions configure {@link createConsulTransport} and the clients built on it. */
export interface ConsulHttpOptions {
  /** `host:port`, `http://host:port`, `https://host:port` or `unix:///path/to.sock`. */
  readonly address: string;
  /** Sent as `X-Consul-Token` when not empty. */
  readonly token?: string;
  /** HTTP basic auth (`CONSUL_HTTP_AUTH=user[:password]`). */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Sent as `?dc=` when not empty. */
  readonly datacenter?: string;
  /** Adds `?stale` to reads. */
  readonly stale?: boolean;
  /** Force https even for a bare `host:port` or `http://` (`CONSUL_HTTP_SSL`). */
  readonly https?: boolean;
  /** TLS options for https (from {@link loadConsulTls}); Node's defaults when absent. */
  readonly tls?: ConsulTlsOptions;
  /** The undici dispatcher to use; by default the transport owns a short-keep-alive Agent. */
  readonly dispatcher?: Dispatcher;
  /** Aborts in-flight requests. */
  readonly signal?: AbortSignal;
}

/** Endpoint is a parsed agent address. */
export interface Endpoint {
  readonly origin: string;
  /** The authority Go prints in its URLs (scheme://host:port, or the socket path). */
  readonly display: string;
  readonly socketPath?: string;
}

/** HttpReply is a status and the whole body. */
export interface HttpReply {
  readonly status: number;
  readonly body: Buffer;
}

/** ConsulTransport sends requests to one agent. */
export interface ConsulTransport {
  /**
   * send issues one request. `path` must already be escaped; `params` are encoded as Go's
   * `url.Values.Encode` does, after `dc` and (for GET) `stale` are added. Throws
   * `CFD_ERR_BACKEND_UNREACHABLE` reading `Get "<url>": <Go's dial or TLS error>`.
   */
  send(
    method: 'GET' | 'PUT' | 'DELETE',
    path: string,
    params?: Readonly<Record<string, string>>,
    body?: Uint8Array | string,
  ): Promise<HttpReply>;
  /** close releases the connections this transport owns; idempotent. */
  close(): Promise<void>;
}

/**
 * parseConsulAddress splits a Consul address the way the Go client does (`http://`, `https://`,
 * `unix://` prefixes, else a bare `host:port`). Throws `CFD_ERR_CONFIG_FLAG` for another scheme
 * with Go's text `Unknown protocol scheme: <s>`.
 */
export function parseConsulAddress(address: string, https = false): Endpoint {
  const sep = address.indexOf('://');
  let scheme = https ? 'https' : 'http';
  let rest = address;
  if (sep !== -1) {
    const given = address.slice(0, sep);
    rest = address.slice(sep + 3);
    if (given === 'unix') {
      return { origin: 'http://localhost', display: rest, socketPath: rest };
    }
    // As the Go client: "http://" never turns TLS off once CONSUL_HTTP_SSL asked for it.
    if (given === 'https') scheme = 'https';
    else if (given !== 'http') {
      throw new ConfdError(ErrorCode.CONFIG_FLAG, `Unknown protocol scheme: ${given}`);
    }
  }
  rest = rest.replace(/\/+$/, '');
  return { origin: `${scheme}://${rest}`, display: `${scheme}://${rest}` };
}

/** connectOptions turns loaded TLS options into undici's `connect` options. */
function connectOptions(tls: ConsulTlsOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { rejectUnauthorized: tls.rejectUnauthorized };
  if (tls.ca) out.ca = [...tls.ca];
  if (tls.cert) out.cert = tls.cert;
  if (tls.key) out.key = tls.key;
  const name = tls.serverName;
  if (name !== undefined) {
    // SNI cannot carry an IP address (RFC 6066; Node warns), but Go still verifies against it.
    if (isIP(name) === 0) out.servername = name;
    out.checkServerIdentity = (_host: string, cert: PeerCertificate) =>
      checkServerIdentity(name, cert);
  }
  return out;
}

/** createConsulTransport builds a {@link ConsulTransport} for one agent address. */
export function createConsulTransport(options: ConsulHttpOptions): ConsulTransport {
  const endpoint = parseConsulAddress(options.address, options.https);
  const ownsDispatcher = options.dispatcher === undefined;
  const connect: Record<string, unknown> = {
    ...(endpoint.origin.startsWith('https:') && options.tls ? connectOptions(options.tls) : {}),
    ...(endpoint.socketPath !== undefined ? { socketPath: endpoint.socketPath } : {}),
  };
  const dispatcher =
    options.dispatcher ??
    new Agent({
      keepAliveTimeout: 10,
      keepAliveMaxTimeout: 10,
      ...(Object.keys(connect).length > 0 ? { connect } : {}),
    });
  const headers: Record<string, string> = {};
  if (options.token) headers['x-consul-token'] = options.token;
  if (options.basicAuth) {
    const { username, password } = options.basicAuth;
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  // An https server that wants a client certificate may just close the connection (Node's
  // does; Go's sends a "certificate required" alert): Go prints a bare EOF, we add a hint.
  const clientCertHint = endpoint.origin.startsWith('https:') && options.tls?.cert === undefined;
  let closed = false;

  return {
    async send(method, path, params = {}, body) {
      const query: Record<string, string> = { ...params };
      if (options.datacenter) query.dc = options.datacenter;
      if (options.stale && method === 'GET') query.stale = '';
      const search = goEncodeQuery(query);
      const pathAndQuery = `${path}${search ? `?${search}` : ''}`;
      const shown = `${endpoint.display}${pathAndQuery}`;
      const reqHeaders =
        body === undefined ? headers : { ...headers, 'content-type': 'application/octet-stream' };
      try {
        // dispatcher.request sends the path as given (a URL object would drop "." segments).
        const res = await dispatcher.request({
          origin: endpoint.origin,
          path: pathAndQuery,
          method,
          headers: reqHeaders,
          body:
            body === undefined || typeof body === 'string'
              ? (body ?? null)
              : Buffer.from(body.buffer, body.byteOffset, body.length),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
      } catch (err) {
        const op = method[0] + method.slice(1).toLowerCase();
        let reason = goDialError(err, endpoint);
        if (reason === 'EOF' && clientCertHint) reason += CLIENT_CERT_HINT;
        throw new ConfdError(
          ErrorCode.BACKEND_UNREACHABLE,
          `${op} ${JSON.stringify(shown)}: ${reason}`,
          {
            cause: err,
          },
        );
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

const CLIENT_CERT_HINT =
  ' (the agent closed the TLS connection; if it verifies incoming connections, give ' +
  '-client-cert and -client-key)';

const PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;
const QUERY_SAFE = /[A-Za-z0-9\-_.~]/;

function percentEncode(text: string, safe: RegExp, spaceAsPlus: boolean): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && safe.test(ch)) out += ch;
    else if (spaceAsPlus && byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** goEscapePath escapes a URL path as Go's `url.URL.EscapedPath` does. */
export function goEscapePath(path: string): string {
  return percentEncode(path, PATH_SAFE, false);
}

/** goEncodeQuery encodes parameters as Go's `url.Values.Encode` does (sorted by key). */
export function goEncodeQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort()
    .map(
      (k) =>
        `${percentEncode(k, QUERY_SAFE, true)}=${percentEncode(params[k] ?? '', QUERY_SAFE, true)}`,
    )
    .join('&');
}
