/**
 * The etcd v3 JSON gateway client behind the etcd backend: POSTs JSON to the first endpoint that
 * answers (failing over in order, remembering the last good one) and, with basic auth, carries a
 * token from `/v3/auth/authenticate` that is renewed once when the server rejects it.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { abortError, ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { unreachableError } from './http-error.js';
import { loadTlsFiles } from './tls-files.js';
import type { TlsFiles } from './tls-files.js';

/** EtcdGatewayOptions configures {@link createEtcdGateway}. */
export interface EtcdGatewayOptions extends TlsFiles {
  /** Endpoints: URLs (`http://127.0.0.1:2379`) or `host:port` (http, or https with TLS files). */
  nodes: readonly string[];
  basicAuth?: { username: string; password: string } | undefined;
  logger?: Logger | undefined;
}

/** etcdEndpoint turns a -node value into an origin; bare `host:port` gets http (https with TLS). */
export function etcdEndpoint(node: string, tls: boolean): URL {
  const candidate = node.includes('://') ? node : `${tls ? 'https' : 'http'}://${node}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch (err) {
    throw new ConfdError(ErrorCode.CONFIG_FLAG, `invalid -node "${node}" for etcd`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfdError(
      ErrorCode.CONFIG_FLAG,
      `invalid -node "${node}" for etcd: scheme must be http or https`,
    );
  }
  return new URL(url.origin);
}

interface Endpoint {
  readonly origin: URL;
  readonly pool: Pool;
}

/** Thrown inside a request attempt to move on to the next endpoint. */
class TransportFailure extends Error {
  readonly error: ConfdError;
  constructor(error: ConfdError) {
    super(error.message);
    this.error = error;
  }
}

/** EtcdGateway sends requests to an etcd cluster's JSON gateway. */
export class EtcdGateway {
  readonly #endpoints: Endpoint[];
  readonly #basicAuth: { username: string; password: string } | undefined;
  readonly #logger: Logger | undefined;
  /** Index of the endpoint that answered last; tried first. */
  #current = 0;
  #token: string | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: EtcdGatewayOptions, endpoints: Endpoint[]) {
    this.#endpoints = endpoints;
    this.#basicAuth = options.basicAuth;
    this.#logger = options.logger;
  }

  /** call POSTs a JSON body and parses the JSON answer (with failover and auth). */
  async call(path: string, body: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    const response = await this.open(path, body, signal, false);
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw new ConfdError(ErrorCode.BACKEND_UNREACHABLE, `etcd ${path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ConfdError(ErrorCode.BACKEND_RESPONSE, `etcd ${path}: invalid JSON answer`, {
        cause: err,
      });
    }
  }

  /**
   * open sends `POST path` to the first endpoint that answers and returns a 200 response with its
   * body unread; other statuses become BACKEND_RESPONSE errors with the gateway's message.
   */
  async open(
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    stream: boolean,
    extraHeaders?: Readonly<Record<string, string>>,
  ): Promise<Dispatcher.ResponseData> {
    if (this.#closing) throw abortError(signal);
    let lastError: ConfdError | undefined;
    const n = this.#endpoints.length;
    for (let attempt = 0; attempt < n; attempt++) {
      const index = (this.#current + attempt) % n;
      const endpoint = this.#endpoints[index];
      if (!endpoint) continue;
      try {
        const response = await this.#attempt(endpoint, path, body, signal, stream, extraHeaders);
        this.#current = index;
        return response;
      } catch (err) {
        if (!(err instanceof TransportFailure)) throw err;
        lastError = err.error;
        this.#logger?.debug(`etcd: ${err.message}; trying the next endpoint`);
      }
    }
    throw lastError ?? new ConfdError(ErrorCode.BACKEND_UNREACHABLE, 'etcd: no endpoints');
  }

  async #attempt(
    endpoint: Endpoint,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    stream: boolean,
    extraHeaders: Readonly<Record<string, string>> | undefined,
    retried = false,
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...extraHeaders,
    };
    if (this.#basicAuth) headers.authorization = await this.#authToken(endpoint, signal, retried);
    const url = new URL(path, endpoint.origin);
    let response: Dispatcher.ResponseData;
    try {
      response = await endpoint.pool.request({
        method: 'POST',
        path,
        headers,
        body: JSON.stringify(body),
        signal,
        headersTimeout: 10_000,
        // A watch stream may stay silent for as long as nothing changes.
        bodyTimeout: stream ? 0 : 10_000,
      });
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw new TransportFailure(unreachableError('POST', url, err));
    }
    if (response.statusCode === 200) return response;
    const text = await response.body.text().catch(() => '');
    let message = text.trim();
    try {
      const parsed = JSON.parse(text) as { message?: string; error?: string };
      message = parsed.message ?? parsed.error ?? message;
    } catch {
      // not JSON: keep the raw text
    }
    // An expired or revoked auth token: authenticate again, once.
    if (response.statusCode === 401 && this.#basicAuth && !retried) {
      this.#token = undefined;
      return this.#attempt(endpoint, path, body, signal, stream, extraHeaders, true);
    }
    throw new ConfdError(
      ErrorCode.BACKEND_RESPONSE,
      `etcd ${path}: unexpected response code ${response.statusCode} (${message})`,
    );
  }

  /** #authToken returns the cached auth token, authenticating with -username/-password first. */
  async #authToken(
    endpoint: Endpoint,
    signal: AbortSignal | undefined,
    fresh: boolean,
  ): Promise<string> {
    if (this.#token && !fresh) return this.#token;
    const auth = this.#basicAuth ?? { username: '', password: '' };
    const url = new URL('/v3/auth/authenticate', endpoint.origin);
    let response: Dispatcher.ResponseData;
    try {
      response = await endpoint.pool.request({
        method: 'POST',
        path: url.pathname,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: auth.username, password: auth.password }),
        signal,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw new TransportFailure(unreachableError('POST', url, err));
    }
    const text = await response.body.text().catch(() => '');
    let parsed: { token?: string; message?: string } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // reported below
    }
    if (response.statusCode !== 200 || !parsed.token) {
      throw new ConfdError(
        ErrorCode.BACKEND_RESPONSE,
        `etcd authentication as ${auth.username} failed: ${parsed.message ?? text.trim()}`,
      );
    }
    this.#token = parsed.token;
    return parsed.token;
  }

  /** close destroys the connections, ending in-flight requests and streams. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= Promise.all(
      this.#endpoints.map((e) => e.pool.destroy().catch(() => undefined)),
    ).then(() => undefined);
    return this.#closing;
  }
}

/** createEtcdGateway builds the gateway client over all nodes (reads the TLS files, if any). */
export async function createEtcdGateway(options: EtcdGatewayOptions): Promise<EtcdGateway> {
  if (options.nodes.length === 0) {
    throw new ConfdError(ErrorCode.CONFIG_FLAG, 'etcd: no -node endpoints given');
  }
  const tls = await loadTlsFiles(options);
  const endpoints = options.nodes.map((node) => {
    const origin = etcdEndpoint(node, tls !== undefined);
    return { origin, pool: new Pool(origin, tls ? { connect: { ...tls } } : {}) };
  });
  return new EtcdGateway(options, endpoints);
}

/** ndjsonLines splits a streamed answer (the gateway's watch and keepalive) into its lines. */
export async function* ndjsonLines(
  body: AsyncIterable<unknown> & { setEncoding(e: string): unknown },
) {
  body.setEncoding('utf8');
  let buffered = '';
  for await (const chunk of body) {
    buffered += chunk as string;
    let start = 0;
    let newline: number;
    while ((newline = buffered.indexOf('\n', start)) >= 0) {
      const line = buffered.slice(start, newline).trim();
      start = newline + 1;
      if (line !== '') yield line;
    }
    buffered = buffered.slice(start);
  }
  if (buffered.trim() !== '') yield buffered.trim();
}
