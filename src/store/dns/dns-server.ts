/**
 * The DNS interface of the bundled store: one UDP socket and one TCP listener on the same port
 * (default 127.0.0.1:8600, Consul's `-dns-port`), answering from a read-only catalog view. Nothing
 * a client sends can crash it: undecodable packets get FORMERR (or are dropped when even the header
 * is unreadable), and every handler failure is logged and answered SERVFAIL. A view that looks up
 * asynchronously (a client agent's, see http-view.ts) is awaited up to the lookup timeout; a
 * rejected or timed-out lookup is logged and answered SERVFAIL. Over TCP, answers keep the order of
 * the queries on each connection (as Consul, which serves one query of a connection at a time).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type AddressInfo, type Socket as TcpSocket } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Packet, Question } from 'dns-packet';
import { ConfdError, ErrorCode, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { answerQuery, errorResponse, RCODE, type AnswerOptions } from './answer.js';
import { isPromiseLike, type DnsCatalogView } from './types.js';

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
  /**
   * How long an asynchronous view lookup may take before the query is answered SERVFAIL, in ms.
   * Default 2000. Synchronous views are not affected.
   */
  readonly lookupTimeoutMs?: number;
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

/** PacketContext is what {@link handlePacket} needs besides the packet. */
interface PacketContext {
  readonly answer: Omit<AnswerOptions, 'udp'>;
  readonly logger: Logger;
  readonly lookupTimeoutMs: number;
}

/** Reply is an encoded answer, nothing to send back, or (asynchronous view) a promise of either. */
type Reply = Buffer | undefined | Promise<Buffer | undefined>;

function describe(questions: Question[] | undefined): string {
  const q = questions?.[0];
  return q ? ` ${q.name} ${q.type}` : '';
}

function servfail(id: number, questions: Question[] | undefined): Buffer {
  try {
    return dnsPacket.encode(errorResponse(id, RCODE.SERVFAIL, questions ?? []));
  } catch {
    return dnsPacket.encode(errorResponse(id, RCODE.SERVFAIL));
  }
}

/** settle awaits an asynchronous answer up to the lookup timeout; never rejects. */
async function settle(
  pending: PromiseLike<Packet>,
  id: number,
  questions: Question[] | undefined,
  ctx: PacketContext,
): Promise<Buffer> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`catalog lookup timed out after ${ctx.lookupTimeoutMs} ms`)),
      ctx.lookupTimeoutMs,
    );
    // A lookup still pending when the server closes must not hold the process.
    timer.unref();
  });
  try {
    return dnsPacket.encode(await Promise.race([pending, timeout]));
  } catch (err) {
    ctx.logger.error(`dns: failed to answer query${describe(questions)}: ${errorMessage(err)}`);
    return servfail(id, questions);
  } finally {
    clearTimeout(timer);
  }
}

/** handlePacket answers one raw query; undefined when nothing should be sent back. */
function handlePacket(raw: Buffer, udp: boolean, ctx: PacketContext): Reply {
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
    const answer = answerQuery(query, { ...ctx.answer, udp });
    if (!isPromiseLike(answer)) return dnsPacket.encode(answer);
    return settle(answer, id, query.questions, ctx);
  } catch (err) {
    ctx.logger.error(
      `dns: failed to answer query${describe(query.questions)}: ${errorMessage(err)}`,
    );
    return servfail(id, query.questions);
  }
}

/** startDnsServer binds UDP and TCP on one port and serves until closed or aborted. */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger;
  const ctx: PacketContext = {
    answer: {
      view: options.view,
      domain: (options.domain ?? 'consul').replace(/\.$/, ''),
      udpAnswerLimit: options.udpAnswerLimit ?? 3,
      enableTruncate: options.enableTruncate ?? false,
      now: options.now ?? Date.now,
      random: options.random ?? Math.random,
    },
    logger,
    lookupTimeoutMs: options.lookupTimeoutMs ?? 2000,
  };
  const idleMs = options.tcpIdleMs ?? 10_000;
  const connections = new Set<TcpSocket>();

  const tcp = createServer((socket) => {
    connections.add(socket);
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => connections.delete(socket));
    let pending: Buffer = Buffer.alloc(0);
    // Replies still waiting for an asynchronous lookup, chained in query order; later replies
    // (even synchronous ones) queue behind them so the connection's answers keep that order.
    let queue: Promise<void> | undefined;
    /** write frames one reply; false when the connection is gone (or was dropped here). */
    const write = (reply: Buffer | undefined): boolean => {
      if (socket.destroyed) return false;
      if (!reply) return true;
      if (reply.length > MAX_TCP_MESSAGE) {
        socket.destroy();
        return false;
      }
      const framed = Buffer.alloc(2 + reply.length);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      socket.write(framed);
      return true;
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const reply = handlePacket(Buffer.from(message), false, ctx);
        if (queue === undefined && !(reply instanceof Promise)) {
          if (!write(reply)) return;
          continue;
        }
        const tail: Promise<void> = (queue ?? Promise.resolve())
          .then(() => reply)
          .then((r) => void write(r))
          .catch(() => {
            socket.destroy();
          })
          .finally(() => {
            if (queue === tail) queue = undefined;
          });
        queue = tail;
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
  let closed: Promise<void> | undefined;
  udp.on('message', (raw: Buffer, rinfo: RemoteInfo) => {
    const reply = handlePacket(raw, true, ctx);
    if (reply === undefined) return;
    if (!(reply instanceof Promise)) {
      udp.send(reply, rinfo.port, rinfo.address);
      return;
    }
    void reply.then((late) => {
      // The socket may have closed while the lookup ran: then the answer is dropped.
      if (!late || closed) return;
      try {
        udp.send(late, rinfo.port, rinfo.address);
      } catch (err) {
        logger.error(`dns: udp send: ${errorMessage(err)}`);
      }
    });
  });

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
