/**
 * What `confd catalog`, `confd services` and `confd members` share: a small JSON client of the
 * agent's HTTP API built from the HTTP flags and environment (TLS included, as `confd kv`), and
 * Consul's column layout (`columnize` with two-space glue, last column unpadded).
 */
import { ConfdError, ErrorCode, isConfdError } from '../errors.js';
import { createConsulTransport } from './consul-transport.js';
import { resolveHttpOptions } from './http-flags.js';
import type { ParsedFlags } from './kv-flags.js';
import type { CommandIo } from './io.js';

/** AgentClient sends JSON requests to one agent. */
export interface AgentClient {
  get(path: string): Promise<unknown>;
  put(path: string, body?: unknown): Promise<void>;
  delete(path: string): Promise<void>;
  /** close releases the client's connections; idempotent. */
  close(): Promise<void>;
}

/**
 * openAgentClient builds an {@link AgentClient} from the HTTP flags and CONSUL_* environment.
 * Throws `CFD_ERR_CONFIG_FLAG` for a bad address, token file or TLS file.
 */
export async function openAgentClient(flags: ParsedFlags, io: CommandIo): Promise<AgentClient> {
  const transport = createConsulTransport(await resolveHttpOptions(flags, io.env));
  const send = async (
    method: 'GET' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<string> => {
    const res = await transport.send(
      method,
      path,
      {},
      body === undefined ? undefined : JSON.stringify(body),
    );
    const text = res.body.toString('utf8');
    if (res.status !== 200) {
      throw new ConfdError(
        ErrorCode.BACKEND_RESPONSE,
        `Unexpected response code: ${res.status} (${text.trim()})`,
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
    async delete(path) {
      await send('DELETE', path);
    },
    close: () => transport.close(),
  };
}

/**
 * withAgentClient opens the client (printing `Error connecting to Consul agent: ...` and
 * returning 1 for a bad setup, as the Consul CLI does), runs `use` and always closes it.
 */
export async function withAgentClient(
  flags: ParsedFlags,
  io: CommandIo,
  use: (client: AgentClient) => Promise<number>,
): Promise<number> {
  let client: AgentClient;
  try {
    client = await openAgentClient(flags, io);
  } catch (err) {
    if (!isConfdError(err)) throw err;
    io.stderr(`Error connecting to Consul agent: ${err.message}\n`);
    return 1;
  }
  try {
    return await use(client);
  } finally {
    await client.close();
  }
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
