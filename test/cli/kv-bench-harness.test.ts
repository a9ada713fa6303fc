// The bench harness's pure parts (wrk report parsing, figure lines): the figures recorded in
// BENCHMARKS.md are only as good as these.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrkOutput } from '../../bench/harness/wrk.js';
import { limitFigure, ratioFigure } from '../../bench/harness/report.js';

const report = `Running 10s test @ http://127.0.0.1:8500/v1/kv/foo
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   850.12us  456.00us  10.00ms   80.00%
    Req/Sec    12.34k     1.23k   15.00k    70.00%
  245678 requests in 10.00s, 45.67MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 678
Requests/sec:  24567.80
Transfer/sec:      4.57MB
`;

test('parseWrkOutput reads rate, totals, errors and latency from a wrk 4 report', () => {
  const r = parseWrkOutput(report);
  assert.equal(r.requests, 245678);
  assert.equal(r.seconds, 10);
  assert.equal(r.requestsPerSec, 24567.8);
  assert.equal(r.non2xx, 678);
  assert.equal(r.socketErrors, 2);
  assert.equal(r.timeouts, 3);
  assert.ok(Math.abs(r.latencyAvgMs - 0.85012) < 1e-9);
  // only 2xx/3xx answers count towards the compared rate
  assert.ok(Math.abs(r.okPerSec - (24567.8 * (245678 - 678)) / 245678) < 1e-6);
  assert.throws(() => parseWrkOutput('wrk: connection refused'), /cannot parse wrk output/);
});

test('figure lines say OK or MISSED against the target', () => {
  assert.deepEqual(ratioFigure('reads 64c', 12345, 2700, 3), {
    ok: true,
    line: 'reads 64c: ours 12,345/s etcd 2,700/s ratio 4.57x (target >= 3x) OK',
  });
  assert.equal(ratioFigure('durable writes 1c', 500, 720, 1).line.endsWith('MISSED'), true);
  assert.deepEqual(limitFigure('blocking', 251.4, 250, 'ms'), {
    ok: false,
    line: 'blocking: 251 ms (target <= 250 ms) MISSED',
  });
});
