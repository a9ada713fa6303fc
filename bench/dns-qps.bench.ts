/**
 * DNS throughput of our agent (`confd agent -dev`): UDP SRV queries for `web.service.consul` from
 * one socket with a fixed number in flight, answered queries per second (issue 5; no target yet).
 */
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { Pool } from 'undici';
import { freePort } from '../test/helpers/free-port.js';
import { startBenchAgent } from './harness/agent.js';
import { formatCount, infoFigure } from './harness/report.js';
import type { Bench, BenchContext, Figure } from './harness/types.js';

const INSTANCES = 5;
/** Queries in flight at once. */
const IN_FLIGHT = 16;
/** A query unanswered this long is counted lost and replaced. */
const LOST_MS = 1_000;

async function register(pool: Pool, body: unknown): Promise<void> {
  const res = await pool.request({
    path: '/v1/agent/service/register',
    method: 'PUT',
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`register: ${res.statusCode} ${text}`);
}

/** QueryStats is what one {@link blast} saw. */
interface QueryStats {
  readonly answered: number;
  readonly empty: number;
  readonly lost: number;
  readonly seconds: number;
}

/**
 * blast keeps `IN_FLIGHT` SRV queries outstanding against `host:port` for `durationMs`; a response
 * counts as answered when its RCODE is 0 and it carries answers.
 */
function blast(
  socket: Socket,
  host: string,
  port: number,
  durationMs: number,
): Promise<QueryStats> {
  return new Promise((resolve) => {
    const sentAt = new Map<number, number>();
    let nextId = 1;
    let answered = 0;
    let empty = 0;
    let lost = 0;
    const started = performance.now();
    const end = started + durationMs;
    let finished = false;
    const send = (): void => {
      const id = nextId;
      nextId = (nextId % 65535) + 1;
      const query = dnsPacket.encode({
        type: 'query',
        id,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: 'SRV', name: 'web.service.consul' }],
      });
      sentAt.set(id, performance.now());
      socket.send(query, port, host);
    };
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(sweeper);
      socket.off('message', onMessage);
      resolve({ answered, empty, lost, seconds: (performance.now() - started) / 1000 });
    };
    const onMessage = (msg: Buffer): void => {
      if (msg.length < 12) return;
      const id = msg.readUInt16BE(0);
      if (!sentAt.delete(id)) return;
      // Header: RCODE in the low 4 bits of byte 3, ANCOUNT at bytes 6-7.
      if ((msg[3] ?? 0) % 16 === 0 && msg.readUInt16BE(6) > 0) answered++;
      else empty++;
      if (performance.now() < end) send();
      else if (sentAt.size === 0) finish();
    };
    const sweeper = setInterval(() => {
      const now = performance.now();
      for (const [id, at] of sentAt) {
        if (now - at < LOST_MS) continue;
        sentAt.delete(id);
        lost++;
        if (now < end) send();
      }
      if (now >= end && (sentAt.size === 0 || now > end + LOST_MS)) finish();
    }, 100);
    socket.on('message', onMessage);
    for (let i = 0; i < IN_FLIGHT; i++) send();
  });
}

const bench: Bench = {
  name: 'dns-qps',
  description: `UDP SRV queries for web.service.consul, ${IN_FLIGHT} in flight, answered queries/s`,
  async run(ctx: BenchContext): Promise<Figure[]> {
    const services = ctx.quick ? 20 : 100;
    const durationMs = ctx.quick ? 1_000 : 5_000;
    const dnsPort = await freePort();
    const agent = await startBenchAgent(ctx, { extraArgs: ['-dns-port', String(dnsPort)] });
    const pool = new Pool(agent.url, { connections: 8, keepAliveTimeout: 60_000 });
    ctx.defer(() => pool.close());
    // Service 0 is `web`; no checks, so every instance is healthy.
    const jobs: Promise<void>[] = [];
    for (let s = 0; s < services; s++) {
      for (let j = 0; j < INSTANCES; j++) {
        jobs.push(
          register(pool, {
            Name: s === 0 ? 'web' : `svc-${s}`,
            ID: `${s === 0 ? 'web' : `svc-${s}`}-${j}`,
            Address: `10.${s >> 8}.${s & 255}.${j + 1}`,
            Port: 8000 + j,
          }),
        );
      }
    }
    await Promise.all(jobs);
    const socket = createSocket('udp4');
    ctx.defer(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const host = '127.0.0.1';
    // Warm-up (JIT, caches), not counted; it also proves the DNS interface answers.
    const warm = await blast(socket, host, dnsPort, ctx.quick ? 200 : 1_000);
    if (warm.answered === 0) {
      throw new Error(`no answered SRV query (empty ${warm.empty}, lost ${warm.lost})`);
    }
    const run = await blast(socket, host, dnsPort, durationMs);
    return [
      infoFigure(
        `dns-qps: ${formatCount(run.answered / run.seconds)} queries/s (UDP SRV web.service.consul, ` +
          `${IN_FLIGHT} in flight, ${services} services x ${INSTANCES}, ${run.seconds.toFixed(1)} s; ` +
          `${run.empty} empty, ${run.lost} lost)`,
      ),
    ];
  },
};

export default bench;
