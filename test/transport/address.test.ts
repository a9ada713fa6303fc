import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, isConfdError } from '../../src/errors.js';
import { formatHostPort, parseHostPort } from '../../src/transport/address.js';

test('parseHostPort reads host:port and [ipv6]:port; formatHostPort writes them back', () => {
  for (const [addr, host, port] of [
    ['127.0.0.1:8301', '127.0.0.1', 8301],
    ['node-1.example:8300', 'node-1.example', 8300],
    ['[::1]:8301', '::1', 8301],
    ['[fe80::1%eth0]:1', 'fe80::1%eth0', 1],
  ] as const) {
    assert.deepEqual(parseHostPort(addr), { host, port });
    assert.equal(formatHostPort(host, port), addr);
  }
});

test('parseHostPort rejects what is not host:port', () => {
  for (const addr of [
    '127.0.0.1',
    '::1:8301',
    '[::1]',
    '[nothost]:80',
    'h:0',
    'h:65536',
    'h:x',
    ':80',
    'a b:1',
  ]) {
    assert.throws(
      () => parseHostPort(addr),
      (err: unknown) =>
        isConfdError(err, ErrorCode.CONFIG_INVALID) &&
        err.message ===
          `bad cluster address ${JSON.stringify(addr)}: want host:port, IPv6 as [::1]:port`,
      addr,
    );
  }
});
