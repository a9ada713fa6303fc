/**
 * What `confd catalog`, `confd services` and `confd members` share: a small JSON client of the
 * agent's HTTP API built from the HTTP flags and environment, and Consul's column layout
 * (`columnize` with two-space glue, last column unpadded).
 */
import { request } from 'undici';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';
import { parseConsulAddress } from './consul-http.js';
import { DEFAULT_HTTP_ADDR } from './kv-common.js';
import type { ParsedFlags } from './kv-flags.js';
import type { CommandIo } from './io.js';

/** AgentClient sends JSON requests to one agent. */
export interface AgentClient {
  get(path: string): Promise<unknown>;
  put(path: string, body?: unknown): Promise<void>;
}

/** agentClient builds an {@link AgentClient} from `-http-addr`/`-token` or CONSUL_HTTP_*. */
export function agentClient(flags: ParsedFlags, io: CommandIo): AgentClient {
  const address = flags.set.has('http-addr')
    ? flags.string('http-addr')
    : io.env.CONSUL_HTTP_ADDR || DEFAULT_HTTP_ADDR;
  const token = flags.set.has('token') ? flags.string('token') : (io.env.CONSUL_HTTP_TOKEN ?? '');
  const ssl = /^(1|t|true)$/i.test(io.env.CONSUL_HTTP_SSL ?? '');
  const endpoint = parseConsulAddress(address, ssl);
  const dc = flags.string('datacenter');
  const send = async (method: 'GET' | 'PUT', path: string, body?: unknown) => {
    const url = new URL(endpoint.origin + path);
    if (dc !== '') url.searchParams.set('dc', dc);
    const headers: Record<string, string> = {};
    if (token !== '') headers['x-consul-token'] = token;
    let res;
    try {
      res = await request(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ConfdError(ErrorCode.BACKEND_UNREACHABLE, errorMessage(err), { cause: err });
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      throw new ConfdError(
        ErrorCode.BACKEND_RESPONSE,
        `Unexpected response code: ${res.statusCode} (${text})`,
      );
    }
    return text;
  };
  return {
    async get(path) {
      const text = await send('GET', path);
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new ConfdError(ErrorCode.BACKEND_RESPONSE, `invalid JSON from ${path}`, {
          cause: err,
        });
      }
    },
    async put(path, body) {
      await send('PUT', path, body);
    },
  };
}

/** columnize lays rows out as Consul's CLI does: columns padded, joined by two spaces. */
export function columnize(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '),
    )
    .map((line) => `${line}\n`)
    .join('');
}
