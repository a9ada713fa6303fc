/**
 * blocking: 10,000 blocking queries parked on one key (`GET /v1/kv/<key>?index=N&wait=5m`, one raw
 * socket each), then one PUT to that key: the time from sending the PUT to the last of the 10,000
 * answers being fully received. Target: <= 250 ms.
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startBenchAgent } from './harness/agent.js';
import { failedFigure, formatCount, infoFigure, limitFigure } from './harness/report.js';
import type { Bench } from './harness/types.js';

const KEY = 'bench/block/key';
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

/** park opens one socket, sends the blocking GET, and resolves when its full response is read. */
function park(host: string, port: number, path: string): Promise<Parked> {
  return new Promise((resolveParked, rejectParked) => {
    const socket = connect({ host, port, noDelay: true });
    let buffered = Buffer.alloc(0);
    let settled = false;
    const answer = new Promise<Answer>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffered.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? Number.NaN);
        const bodyBytes = buffered.length - end - 4;
        const chunkedDone = buffered.subarray(-5).toString('latin1') === '0\r\n\r\n';
        if (Number.isNaN(length) ? !chunkedDone : bodyBytes < length) return;
        resolve({
          status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
          index: Number(/\r\nx-consul-index:\s*(\d+)/i.exec(head)?.[1] ?? 0),
          at: performance.now(),
        });
      });
      socket.once('close', () => reject(new Error('socket closed before the answer')));
    });
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

const bench: Bench = {
  name: 'blocking',
  description: `${formatCount(WATCHERS)} blocking queries parked on one key, then one PUT`,
  async run(ctx) {
    const agent = await startBenchAgent(ctx, { dataDir: join(ctx.workDir, 'agent-data') });
    const dispatcher = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
    ctx.defer(() => dispatcher.close());
    const put = async (value: string): Promise<void> => {
      const res = await request(`${agent.url}/v1/kv/${KEY}`, {
        method: 'PUT',
        body: value,
        dispatcher,
      });
      if ((await res.body.text()).trim() !== 'true') throw new Error('agent: PUT failed');
    };
    await put('before');
    const res = await request(`${agent.url}/v1/kv/${KEY}`, { dispatcher });
    await res.body.dump();
    const index = Number(res.headers['x-consul-index']);
    const { hostname, port } = new URL(agent.url);
    const path = `/v1/kv/${KEY}?index=${index}&wait=5m`;

    const watchers = ctx.quick ? 500 : WATCHERS;
    ctx.log(`blocking: parking ${formatCount(watchers)} queries at index ${index}`);
    const parked: Parked[] = [];
    ctx.defer(() => parked.forEach((p) => p.socket.destroy()));
    for (let i = 0; i < watchers; i += CONNECT_BATCH) {
      const n = Math.min(CONNECT_BATCH, watchers - i);
      parked.push(
        ...(await Promise.all(Array.from({ length: n }, () => park(hostname, Number(port), path)))),
      );
    }
    // Barrier: a request sent after all 10,000 is answered only once the agent has read the
    // earlier ones (sockets are served in readiness order), so they are parked by then.
    const probe = await request(`${agent.url}/v1/kv/${KEY}`, { dispatcher });
    await probe.body.dump();
    await new Promise((resolve) => setImmediate(resolve));
    const early = parked.filter((p) => p.settled()).length;
    if (early > 0) {
      return [failedFigure('blocking', `${early} queries answered before the PUT (not parked)`)];
    }

    const sentAt = performance.now();
    await put('after');
    const timeout = new Promise<'timeout'>((resolve) => {
      setTimeout(() => resolve('timeout'), ANSWER_TIMEOUT_MS).unref();
    });
    const settled = await Promise.race([Promise.allSettled(parked.map((p) => p.answer)), timeout]);
    if (settled === 'timeout') {
      return [failedFigure('blocking', `not all answers within ${ANSWER_TIMEOUT_MS} ms`)];
    }
    const answers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const good = answers.filter((a) => a.status === 200 && a.index > index);
    if (good.length < watchers) {
      return [
        failedFigure(
          'blocking',
          `${formatCount(good.length)} of ${formatCount(watchers)} got a 200 with a new index`,
        ),
      ];
    }
    const lastMs = Math.max(...good.map((a) => a.at)) - sentAt;
    const firstMs = Math.min(...good.map((a) => a.at)) - sentAt;
    return [
      limitFigure(
        `blocking ${formatCount(watchers)} parked: PUT -> last answer`,
        lastMs,
        250,
        'ms',
      ),
      infoFigure(
        `blocking ${formatCount(watchers)} parked: PUT -> first answer ${firstMs.toFixed(1)} ms`,
      ),
    ];
  },
};

export default bench;
