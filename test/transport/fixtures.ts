/**
 * Shared fixtures of the transport tests: a capturing logger, a cluster server on 127.0.0.1:0 that
 * records what reaches its handler, a cluster client, and a raw TCP exchange for bad input.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { TestContext } from 'node:test';
import { levelLogger } from '../../src/log.js';
import type { Logger, LogLevel } from '../../src/log.js';
import { createClusterClient } from '../../src/transport/client.js';
import type { ClusterClient, ClusterClientOptions } from '../../src/transport/client.js';
import { createClusterServer } from '../../src/transport/server.js';
import type { ClusterServer, ClusterServerOptions } from '../../src/transport/server.js';

/** CapturedLog is a Logger that keeps its lines. */
export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: { level: LogLevel; msg: string }[];
  /** warnings are the WARNING lines' messages. */
  warnings(): string[];
}

/** captureLog records every line, debug included. */
export function captureLog(): CapturedLog {
  const lines: { level: LogLevel; msg: string }[] = [];
  return {
    logger: levelLogger('debug', (level, msg) => lines.push({ level, msg })),
    lines,
    warnings: () => lines.filter((l) => l.level === 'warning').map((l) => l.msg),
  };
}

/** TestServer is a started cluster server and what reached it. */
export interface TestServer {
  readonly server: ClusterServer;
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly addr: string;
  readonly log: CapturedLog;
  /** Requests the handler saw: method, url and the remote port (one per connection). */
  readonly calls: { method: string; url: string; remotePort: number }[];
}

/** echo answers with the method, url, a header and the request body. */
export async function echo(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  res.setHeader('X-Echo-Method', req.method ?? '');
  res.setHeader('Content-Type', 'text/plain');
  res.statusCode = req.url === '/missing' ? 404 : 200;
  res.end(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`);
}

/** startServer listens on 127.0.0.1:0 and closes the server after the test. */
export async function startServer(
  t: TestContext,
  options: Partial<ClusterServerOptions> = {},
): Promise<TestServer> {
  const log = captureLog();
  const calls: TestServer['calls'] = [];
  const handler = options.handler ?? echo;
  const server = createClusterServer({
    name: 'serf_lan',
    logger: log.logger,
    ...options,
    handler: (req, res) => {
      calls.push({
        method: req.method ?? '',
        url: req.url ?? '',
        remotePort: req.socket.remotePort ?? 0,
      });
      return handler(req, res);
    },
  });
  t.after(() => server.close());
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, addr: `127.0.0.1:${port}`, log, calls };
}

/** startClient builds a cluster client closed after the test. */
export function startClient(t: TestContext, options: ClusterClientOptions = {}): ClusterClient {
  const client = createClusterClient(options);
  t.after(() => client.close());
  return client;
}

/** RawOptions shapes a {@link rawExchange}. */
export interface RawOptions {
  /** Source address, e.g. `127.0.0.5`: another "remote address" for the rate limit. */
  readonly localAddress?: string;
  /** End our side after writing (default true); false leaves the connection open, as a slow client. */
  readonly end?: boolean;
}

/** rawExchange writes bytes on a TCP connection and resolves with what came back once it closed. */
export function rawExchange(
  port: number,
  data: string | Buffer,
  options: RawOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress }, () => {
      socket.write(data);
      if (options.end ?? true) socket.end();
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset by the server is one way of being closed.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}
