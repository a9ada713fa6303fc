/**
 * Test helper: a minimal DNS client over UDP and TCP (dns-packet, no `dig` needed) against a DNS
 * server on 127.0.0.1. Not a test file itself.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, RecordType } from 'dns-packet';

/** QueryOptions tune {@link query}. */
export interface QueryOptions {
  /** Ask over TCP instead of UDP. */
  readonly tcp?: boolean;
  /** The query ID. Default 4242. */
  readonly id?: number;
  /** Reject when no answer came within this many ms. Default 3000. */
  readonly timeoutMs?: number;
  /** The server's address. Default 127.0.0.1. */
  readonly host?: string;
}

/** QuestionSpec is one question to ask: a name and a record type (`ANY` included). */
export interface QuestionSpec {
  readonly name: string;
  readonly type: RecordType | 'ANY';
}

/** encodeQuery encodes a standard query with RD set. */
export function encodeQuery(q: QuestionSpec, id: number): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    // dns-packet encodes ANY (255) though its types leave it out.
    questions: [{ name: q.name, type: q.type as RecordType }],
  });
}

/** rcodeOf is the RCODE of a decoded response. */
export function rcodeOf(packet: DecodedPacket): number {
  return (packet.flags ?? 0) & 0x0f;
}

/** query asks `q` of `host` (default 127.0.0.1):`port` once and resolves to the decoded response. */
export function query(
  port: number,
  q: QuestionSpec,
  options: QueryOptions = {},
): Promise<DecodedPacket> {
  const id = options.id ?? 4242;
  const timeoutMs = options.timeoutMs ?? 3000;
  const host = options.host ?? '127.0.0.1';
  return options.tcp
    ? tcpQueries(port, [encodeQuery(q, id)], timeoutMs, host).then((replies) => replies[0])
    : udpQuery(port, encodeQuery(q, id), id, timeoutMs, host);
}

function udpQuery(
  port: number,
  raw: Buffer,
  id: number,
  timeoutMs: number,
  host: string,
): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no UDP answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      sock.close();
      resolve(dnsPacket.decode(msg));
    });
    sock.send(raw, port, host);
  });
}

/**
 * tcpQueries writes every raw query on one TCP connection at once (pipelined) and resolves to the
 * decoded replies in the order they arrived, once there is one per query.
 */
export function tcpQueries(
  port: number,
  raws: readonly Buffer[],
  timeoutMs = 3000,
  host = '127.0.0.1',
): Promise<DecodedPacket[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, host);
    const replies: DecodedPacket[] = [];
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${replies.length} of ${raws.length} TCP answers within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('connect', () => {
      const framed = raws.map((raw) => {
        const b = Buffer.alloc(2 + raw.length);
        b.writeUInt16BE(raw.length, 0);
        raw.copy(b, 2);
        return b;
      });
      sock.write(Buffer.concat(framed));
    });
    sock.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const length = pending.readUInt16BE(0);
        replies.push(dnsPacket.decode(pending.subarray(2, 2 + length)));
        pending = pending.subarray(2 + length);
      }
      if (replies.length >= raws.length) {
        clearTimeout(timer);
        sock.destroy();
        resolve(replies);
      }
    });
  });
}
