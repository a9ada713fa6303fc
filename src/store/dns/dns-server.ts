/**
 * The DNS interface of the bundled store: one UDP socket and one TCP listener on the same port
 * (default 127.0.0.1:8600, Consul's `-dns-port`), answering from a read-only catalog view. Nothing
 * a client sends can crash it: undecodable packets get FORMERR (or are dropped when even the header
 * is unreadable), and every handler failure is logged and answered SERVFAIL.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type AddressInfo, type Socket as TcpSocket } from 'node:net';
import dnsPacket from 'dns-packet';
import { ConfdError, ErrorCode, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { answerQuery, errorResponse, RCODE, type AnswerOptions } from './answer.js';
import type { DnsCatalogView } from './types.js';

/** DnsServerOptions configure {@link startDnsServer}. */
export interface DnsServerOptions {
  readonly view: DnsCatalogView;
  readonly logger: Logger;
  /** Bind address. Default 127.0.0.1. */
  readonly host?: string;
  /** Port for UDP and TCP; 0 picks a free port for both. Default 8600. */
  readonly port?: number;
  /** The domain. Default `consul`. */
  readonly domain?: string;
  /** Answers per UDP response. Default 3 (Consul's udp_answer_limit). */
  readonly udpAnswerLimit?: number;
  /** Set TC on cut UDP answers. Default false (Consul's enable_truncate). */
  readonly enableTruncate?: boolean;
  /** Clock in ms, for the SOA serial. Default Date.now. */
  readonly now?: () => number;
  readonly random?: () => number;
  /** Idle TCP connections are closed after this many ms. Default 10000. */
  readonly tcpIdleMs?: number;
  readonly signal?: AbortSignal;
}

/** DnsServer is a running DNS interface. */
export interface DnsServer {
  readonly host: string;
  /** The bound port (UDP and TCP). */
  readonly port: number;
  /** Stops both listeners and drops TCP connections. Idempotent. */
  close(): Promise<void>;
}

const MAX_TCP_MESSAGE = 65535;

/** handlePacket answers one raw query; undefined when nothing should be sent back. */
function handlePacket(
  raw: Buffer,
  options: Omit<AnswerOptions, 'udp'>,
  udp: boolean,
  logger: Logger,
): Buffer | undefined {
  if (raw.length < 12) return undefined;
  const id = raw.readUInt16BE(0);
  // A packet with the QR bit set is a response: never answer it (no reflection loops).
  if ((raw[2] & 0x80) !== 0) return undefined;
  let query: ReturnType<typeof dnsPacket.decode>;
  try {
    query = dnsPacket.decode(raw);
  } catch {
    return dnsPacket.encode(errorResponse(id, RCODE.FORMERR));
  }
  try {
    return dnsPacket.encode(answerQuery(query, { ...options, udp }));
  } catch (err) {
    logger.error(`dns: failed to answer query: ${errorMessage(err)}`);
    try {
      return dnsPacket.encode(errorResponse(id, RCODE.SERVFAIL, query.questions ?? []));
    } catch {
      return dnsPacket.encode(errorResponse(id, RCODE.SERVFAIL));
    }
  }
}

/** startDnsServer binds UDP and TCP on one port and serves until closed or aborted. */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger;
  const answerOptions: Omit<AnswerOptions, 'udp'> = {
    view: options.view,
    domain: (options.domain ?? 'consul').replace(/\.$/, ''),
    udpAnswerLimit: options.udpAnswerLimit ?? 3,
    enableTruncate: options.enableTruncate ?? false,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
  };
  const idleMs = options.tcpIdleMs ?? 10_000;
  const connections = new Set<TcpSocket>();

  const tcp = createServer((socket) => {
    connections.add(socket);
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => connections.delete(socket));
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const reply = handlePacket(Buffer.from(message), answerOptions, false, logger);
        if (!reply) continue;
        if (reply.length > MAX_TCP_MESSAGE) {
          socket.destroy();
          return;
        }
        const framed = Buffer.alloc(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        socket.write(framed);
      }
    });
  });
  tcp.on('error', (err) => logger.error(`dns: tcp listener: ${errorMessage(err)}`));

  const bindBoth = async (port: number): Promise<{ udp: Socket; port: number }> => {
    const udp = createSocket(isV6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const bound = udp.address().port;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(bound, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    return { udp, port: (tcp.address() as AddressInfo).port };
  };

  let bound: { udp: Socket; port: number } | undefined;
  const wanted = options.port ?? 8600;
  // With port 0 the UDP port chosen may be taken on TCP: retry a few times.
  for (let attempt = 0; ; attempt++) {
    try {
      bound = await bindBoth(wanted);
      break;
    } catch (err) {
      if (wanted !== 0 || attempt >= 10) {
        throw new ConfdError(
          ErrorCode.STORE_IO,
          `dns: cannot listen on ${host}:${wanted}: ${errorMessage(err)}`,
          { cause: err },
        );
      }
    }
  }
  const { udp, port } = bound;
  udp.on('error', (err) => logger.error(`dns: udp socket: ${errorMessage(err)}`));
  udp.on('message', (raw: Buffer, rinfo: RemoteInfo) => {
    const reply = handlePacket(raw, answerOptions, true, logger);
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    })();
    return closed;
  };
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  if (options.signal?.aborted) await close();
  return { host, port, close };
}

function isV6(host: string): boolean {
  return host.includes(':');
}
