/**
 * blocking: 10,000 blocking queries parked on one key (`GET /v1/kv/<key>?index=N&wait=5m`, one raw
 * socket each), then one PUT to that key: the time from sending the PUT to the last of the 10,000
 * answers being fully received. Target: <= 250 ms. A first, identical round on another key is
 * the warm-up (reported, not judged).
 */
import { connect, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startBenchAgent } from './harness/agent.js';
import { failedFigure, formatCount, infoFigure, limitFigure } from './harness/report.js';
import type { Bench } from './harness/types.js';

const KEY = 'bench/block/key';
const WARM_UP_KEY = 'bench/block/warm-up';
const WATCHERS = 10_000;
const CONNECT_BATCH = 250;
const ANSWER_TIMEOUT_MS = 60_000;

/** Answer is one parked query's response. */
interface Answer {
  readonly status: number;
  readonly index: number;
  /** performance.now() when the body was complete. */
  readonly at: number;
}

interface Parked {
  readonly socket: Socket;
  readonly answer: Promise<Answer>;
  /** True once the answer arrived or the socket closed. */
  readonly settled: () => boolean;
}

/**
 * parseAnswer reads one complete HTTP response from `data`: undefined while the head or the body
 * (by Content-Length, or up to the last chunk) is still incomplete.
 */
function parseAnswer(data: Buffer): Omit<Answer, 'at'> | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const head = data.toString('latin1', 0, end);
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? Number.NaN);
  const bodyBytes = data.length - end - 4;
  const chunkedDone = data.toString('latin1', data.length - 5) === '0\r\n\r\n';
  if (Number.isNaN(length) ? !chunkedDone : bodyBytes < length) return undefined;
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
    index: Number(/\r\nx-consul-index:\s*(\d+)/i.exec(head)?.[1] ?? 0),
  };
}

/**
 * park opens one socket, sends the blocking GET, and resolves when its full response is read.
 * Every socket reads into one shared buffer (`onread`): the client still receives and parses
 * every byte of all answers, without a stream and a fresh Buffer per read, so that its own cost
 * stays small next to the server's (both share the machine's cores).
 */
function park(host: string, port: number, path: string, shared: Buffer): Promise<Parked> {
  return new Promise((resolveParked, rejectParked) => {
    let settled = false;
    let resolveAnswer: (answer: Answer) => void = () => undefined;
    let rejectAnswer: (err: Error) => void = () => undefined;
    const answer = new Promise<Answer>((resolve, reject) => {
      resolveAnswer = resolve;
      rejectAnswer = reject;
    });
    /** Bytes of an answer that spans several reads (copied out of the shared buffer). */
    let partial: Buffer | undefined;
    const socket = connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: shared,
        // Returns true: keep reading (false would pause the socket).
        callback: (n: number, buf: Uint8Array): boolean => {
          const read = Buffer.from(buf.buffer, buf.byteOffset, n);
          const data = partial === undefined ? read : Buffer.concat([partial, read]);
          const parsed = parseAnswer(data);
          if (parsed === undefined) {
            partial = Buffer.from(data);
            return true;
          }
          partial = undefined;
          resolveAnswer({ ...parsed, at: performance.now() });
          return true;
        },
      },
    });
    socket.once('close', () => rejectAnswer(new Error('socket closed before the answer')));
    answer.then(
      () => (settled = true),
      () => (settled = true), // observed by the bench; no unhandled rejection
    );
    socket.once('error', rejectParked);
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
      resolveParked({ socket, answer, settled: () => settled });
    });
  });
}

/** cpuMs is the user + system CPU time of process `pid` so far, from /proc (10 ms ticks). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the `(comm)`: state is field 3, utime 14 and stime 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** RoundResult is one round's outcome: its figures' inputs, or why it failed. */
type RoundResult =
  | {
      readonly ok: true;
      readonly firstMs: number;
      readonly medianMs: number;
      readonly lastMs: number;
      readonly ackMs: number;
      readonly agentCpuMs: number;
      readonly clientCpuMs: number;
    }
  | { readonly ok: false; readonly why: string };

interface RoundOptions {
  readonly agentUrl: string;
  readonly agentPid: number;
  readonly key: string;
  readonly watchers: number;
  readonly put: (key: string, value: string) => Promise<void>;
  readonly get: (key: string) => Promise<number>;
  readonly shared: Buffer;
  /** Sockets opened by the round; the caller destroys them. */
  readonly sockets: Socket[];
}

/**
 * round parks `watchers` blocking GETs of `key` on their own sockets, PUTs the key once, and
 * times the answers from sending the PUT.
 */
async function round(options: RoundOptions): Promise<RoundResult> {
  const { key, watchers, put, get } = options;
  await put(key, 'before');
  const index = await get(key);
  const { hostname, port } = new URL(options.agentUrl);
  const path = `/v1/kv/${key}?index=${index}&wait=5m`;
  const parked: Parked[] = [];
  for (let i = 0; i < watchers; i += CONNECT_BATCH) {
    const n = Math.min(CONNECT_BATCH, watchers - i);
    const batch = await Promise.all(
      Array.from({ length: n }, () => park(hostname, Number(port), path, options.shared)),
    );
    parked.push(...batch);
    options.sockets.push(...batch.map((p) => p.socket));
  }
  // Barrier: a request sent after all 10,000 is answered only once the agent has read the
  // earlier ones (sockets are served in readiness order), so they are parked by then.
  await get(key);
  await new Promise((resolve) => setImmediate(resolve));
  const early = parked.filter((p) => p.settled()).length;
  if (early > 0) return { ok: false, why: `${early} queries answered before the PUT (not parked)` };

  const agentCpuBefore = await cpuMs(options.agentPid);
  const clientCpuBefore = process.cpuUsage();
  const sentAt = performance.now();
  await put(key, 'after');
  const ackMs = performance.now() - sentAt;
  const timeout = new Promise<'timeout'>((resolve) => {
    setTimeout(() => resolve('timeout'), ANSWER_TIMEOUT_MS).unref();
  });
  const settled = await Promise.race([Promise.allSettled(parked.map((p) => p.answer)), timeout]);
  if (settled === 'timeout')
    return { ok: false, why: `not all answers within ${ANSWER_TIMEOUT_MS} ms` };
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const agentCpuMs = (await cpuMs(options.agentPid)) - agentCpuBefore;
  const answers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const good = answers.filter((a) => a.status === 200 && a.index > index);
  if (good.length < watchers) {
    return {
      ok: false,
      why: `${formatCount(good.length)} of ${formatCount(watchers)} got a 200 with a new index`,
    };
  }
  const times = good.map((a) => a.at - sentAt).sort((a, b) => a - b);
  return {
    ok: true,
    firstMs: times[0],
    medianMs: times[Math.floor(times.length / 2)],
    lastMs: times[times.length - 1],
    ackMs,
    agentCpuMs,
    clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
  };
}

const bench: Bench = {
  name: 'blocking',
  description: `${formatCount(WATCHERS)} blocking queries parked on one key, then one PUT`,
  async run(ctx) {
    const agent = await startBenchAgent(ctx, { dataDir: join(ctx.workDir, 'agent-data') });
    const dispatcher = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
    ctx.defer(() => dispatcher.close());
    const put = async (key: string, value: string): Promise<void> => {
      const res = await request(`${agent.url}/v1/kv/${key}`, {
        method: 'PUT',
        body: value,
        dispatcher,
      });
      if ((await res.body.text()).trim() !== 'true') throw new Error('agent: PUT failed');
    };
    const get = async (key: string): Promise<number> => {
      const res = await request(`${agent.url}/v1/kv/${key}`, { dispatcher });
      await res.body.dump();
      return Number(res.headers['x-consul-index']);
    };
    const watchers = ctx.quick ? 500 : WATCHERS;
    const label = `blocking ${formatCount(watchers)} parked`;
    const sockets: Socket[] = [];
    ctx.defer(() => sockets.forEach((socket) => socket.destroy()));
    const common = { agentUrl: agent.url, agentPid: agent.pid, watchers, put, get, sockets };
    const shared = Buffer.allocUnsafe(64 * 1024);

    // Warm-up round, thrown away like the wrk benches' warm-up runs: the agent's first wake-up
    // after start runs its answer path cold (interpreted, then compiled while it runs). Its
    // figure is still printed. Its sockets are closed before the measured round.
    ctx.log(`blocking: warm-up round, ${formatCount(watchers)} queries on ${WARM_UP_KEY}`);
    const warm = await round({ ...common, key: WARM_UP_KEY, shared });
    if (!warm.ok) return [failedFigure('blocking', `warm-up round: ${warm.why}`)];
    sockets.splice(0).forEach((socket) => socket.destroy());

    ctx.log(`blocking: measured round, ${formatCount(watchers)} queries on ${KEY}`);
    const result = await round({ ...common, key: KEY, shared });
    if (!result.ok) return [failedFigure('blocking', result.why)];
    const { firstMs, medianMs, lastMs, ackMs, agentCpuMs, clientCpuMs } = result;
    return [
      limitFigure(`${label}: PUT -> last answer`, lastMs, 250, 'ms'),
      infoFigure(`${label}: PUT -> first answer ${firstMs.toFixed(1)} ms`),
      infoFigure(
        `${label}: PUT -> median answer ${medianMs.toFixed(1)} ms, PUT acknowledged ${ackMs.toFixed(1)} ms`,
      ),
      // CPU from the PUT to the last answer (the agent's from /proc, in 10 ms ticks): tells the
      // agent's work from waiting for a core on a shared machine.
      infoFigure(
        `${label}: CPU until the last answer: agent ${agentCpuMs} ms, bench client ${clientCpuMs.toFixed(0)} ms`,
      ),
      infoFigure(
        `${label}: warm-up round (first wake-up after start): last answer ${warm.lastMs.toFixed(0)} ms, first ${warm.firstMs.toFixed(1)} ms, agent CPU ${warm.agentCpuMs} ms`,
      ),
    ];
  },
};

export default bench;
