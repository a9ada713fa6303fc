import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../src/log.js';
import type { CheckStatus } from '../../src/store/catalog/index.js';
import { CheckRunner, type Timers } from '../../src/store/checks/index.js';
import { waitFor } from '../helpers/wait-for.js';

/** A manual clock: timers fire only when the test advances time. */
class ManualTimers implements Timers {
  time = 0;
  #next = 1;
  readonly #pending = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.#next++;
    this.#pending.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }
  advance(ms: number): void {
    this.time += ms;
    for (;;) {
      const due = [...this.#pending.entries()]
        .filter(([, p]) => p.at <= this.time)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) return;
      this.#pending.delete(due[0]);
      due[1].fn();
    }
  }
}

function recorder() {
  const results: { id: string; status: CheckStatus; output: string }[] = [];
  const last = (id: string) => results.filter((r) => r.id === id).at(-1);
  return {
    results,
    last,
    onResult: (id: string, status: CheckStatus, output: string) =>
      results.push({ id, status, output }),
  };
}

function runner(t: TestContext, rec: ReturnType<typeof recorder>, extra: object = {}) {
  const r = new CheckRunner({ onResult: rec.onResult, logger: silentLogger, ...extra });
  t.after(() => r.close());
  return r;
}

async function listen(t: TestContext, server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

test('HTTP check follows a target flipping between 200, 429 and 503', async (t) => {
  let code = 200;
  const seen: string[] = [];
  const port = await listen(
    t,
    createHttpServer((req, res) => {
      seen.push(`${req.method} ${String(req.headers['x-probe'])}`);
      res.writeHead(code).end(`code ${code}`);
    }),
  );
  const rec = recorder();
  const r = runner(t, rec);
  r.add({
    checkId: 'web',
    serviceId: 'web',
    type: 'http',
    definition: {
      http: `http://127.0.0.1:${port}/health`,
      method: 'POST',
      header: { 'X-Probe': ['yes'] },
      interval: '20ms',
    },
  });
  await waitFor(() => rec.last('web')?.status === 'passing', { what: 'passing' });
  assert.equal(
    rec.last('web')?.output,
    `HTTP POST http://127.0.0.1:${port}/health: 200 Output: code 200`,
  );
  assert.equal(seen[0], 'POST yes');
  code = 429;
  await waitFor(() => rec.last('web')?.status === 'warning', { what: 'warning' });
  code = 503;
  await waitFor(() => rec.last('web')?.status === 'critical', { what: 'critical' });
  code = 200;
  await waitFor(() => rec.last('web')?.status === 'passing', { what: 'passing again' });
  // Only changes are reported.
  const statuses = rec.results.map((x) => x.status);
  assert.deepEqual(statuses, ['passing', 'warning', 'critical', 'passing']);
});

test('HTTP check times out as critical', async (t) => {
  const port = await listen(
    t,
    createHttpServer(() => {}),
  );
  const rec = recorder();
  runner(t, rec).add({
    checkId: 'slow',
    serviceId: '',
    type: 'http',
    definition: { http: `http://127.0.0.1:${port}/`, interval: '1s', timeout: '100ms' },
  });
  await waitFor(() => rec.last('slow'), { what: 'result' });
  assert.equal(rec.last('slow')?.status, 'critical');
  assert.match(rec.last('slow')?.output ?? '', /timeout after 100ms/);
});

test('TCP check is passing while the port accepts and critical once it is closed', async (t) => {
  const server = createTcpServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  t.after(() => server.close());
  const rec = recorder();
  runner(t, rec).add({
    checkId: 'db',
    serviceId: 'db',
    type: 'tcp',
    definition: { tcp: `127.0.0.1:${port}`, interval: '20ms' },
  });
  await waitFor(() => rec.last('db')?.status === 'passing', { what: 'passing' });
  assert.equal(rec.last('db')?.output, `TCP connect 127.0.0.1:${port}: Success`);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await waitFor(() => rec.last('db')?.status === 'critical', { what: 'critical' });
  assert.match(rec.last('db')?.output ?? '', /ECONNREFUSED/);
});

test('TTL check: pass/warn/fail updates, then expiry turns it critical', (t) => {
  const timers = new ManualTimers();
  const rec = recorder();
  const r = runner(t, rec, { timers });
  r.add({ checkId: 'ttl', serviceId: 'app', type: 'ttl', definition: { ttl: '10s' } });
  assert.equal(r.ttlUpdate('ttl', 'passing', 'all good'), true);
  assert.deepEqual(rec.last('ttl'), { id: 'ttl', status: 'passing', output: 'all good' });
  timers.advance(9_000);
  assert.equal(r.ttlUpdate('ttl', 'warning', 'slow'), true);
  timers.advance(9_000);
  assert.equal(rec.last('ttl')?.status, 'warning');
  timers.advance(1_001);
  assert.deepEqual(rec.last('ttl'), { id: 'ttl', status: 'critical', output: 'TTL expired' });
  assert.equal(r.ttlUpdate('nope', 'passing', ''), false);
});

test('script check maps exit codes, truncates output to 4 KB and times out', async (t) => {
  const rec = recorder();
  const r = runner(t, rec);
  const node = process.execPath;
  const script = (id: string, code: string, timeout = '10s') =>
    r.add({
      checkId: id,
      serviceId: '',
      type: 'script',
      definition: { args: [node, '-e', code], interval: '1h', timeout },
    });
  script('ok', 'console.log("fine")');
  script('warn', 'console.error("meh"); process.exit(1)');
  script('crit', 'console.log("bad"); process.exit(2)');
  script('big', 'process.stdout.write("x".repeat(5000) + "END")');
  script('hang', 'setTimeout(() => {}, 60000)', '200ms');
  await waitFor(() => ['ok', 'warn', 'crit', 'big', 'hang'].every((id) => rec.last(id)), {
    what: 'all results',
    timeoutMs: 10_000,
  });
  assert.deepEqual(rec.last('ok'), { id: 'ok', status: 'passing', output: 'fine\n' });
  assert.deepEqual(rec.last('warn'), { id: 'warn', status: 'warning', output: 'meh\n' });
  assert.deepEqual(rec.last('crit'), { id: 'crit', status: 'critical', output: 'bad\n' });
  const big = rec.last('big')?.output ?? '';
  assert.match(big, /^Captured 4096 of 5003 bytes\n\.\.\.\n/);
  assert.ok(big.endsWith('END'));
  assert.deepEqual(rec.last('hang'), {
    id: 'hang',
    status: 'critical',
    output: 'Timed out (200ms) running check',
  });
});

test('a service critical past deregister_critical_service_after is reaped once', (t) => {
  const timers = new ManualTimers();
  const rec = recorder();
  const reaped: string[] = [];
  const r = runner(t, rec, {
    timers,
    onDeregisterCritical: (id: string, service: string) => reaped.push(`${id}/${service}`),
  });
  r.add({
    checkId: 'service:api',
    serviceId: 'api',
    type: 'ttl',
    definition: { ttl: '1h', deregisterCriticalServiceAfter: '90s' },
  });
  r.add({
    checkId: 'service:ok',
    serviceId: 'ok',
    type: 'ttl',
    definition: { ttl: '1h', deregisterCriticalServiceAfter: '1s' },
  });
  // The 1s value is raised to Consul's 1 minute minimum; passing checks are never reaped.
  r.ttlUpdate('service:ok', 'passing', '');
  timers.advance(60_000);
  assert.deepEqual(reaped, []);
  timers.advance(30_000);
  assert.deepEqual(reaped, ['service:api/api']);
  assert.equal(r.has('service:api'), false);
  timers.advance(120_000);
  assert.deepEqual(reaped, ['service:api/api']);
});

test('a deregister_critical_service_after of 0 or less reaps nothing (a request may send -60e9)', (t) => {
  const timers = new ManualTimers();
  const rec = recorder();
  const reaped: string[] = [];
  const r = runner(t, rec, {
    timers,
    onDeregisterCritical: (id: string) => reaped.push(id),
  });
  for (const [id, after] of [
    ['service:neg', '-1m0s'],
    ['service:zero', '0s'],
  ]) {
    r.add({
      checkId: id,
      serviceId: id.slice('service:'.length),
      type: 'ttl',
      definition: { ttl: '1h', deregisterCriticalServiceAfter: after },
    });
  }
  timers.advance(10 * 60_000);
  assert.deepEqual(reaped, []);
});
