/**
 * DNS lookups: renders never do I/O; functions record misses by a stable id, `resolveLookups`
 * resolves them (sorted like confd; failures give empty lists), and the next render reads them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFunctions } from '../../src/template/functions.js';
import { resolveLookups, type LookupResolver } from '../../src/template/functions-lookup.js';
import type { LookupRequest } from '../../src/template/types.js';
import { SRVRecord, createLookupRecorder, goFormat } from '../../src/template/values.js';

function functionsWith(lookups?: ReadonlyMap<string, unknown>) {
  const recorder = createLookupRecorder();
  const fns = createFunctions(
    { keys: new Map(), env: {}, now: () => 0, ...(lookups ? { lookups } : {}) },
    recorder,
  );
  return { fns, recorder };
}

const fake: LookupResolver = {
  lookupIP(host) {
    if (host === 'multi.test') return Promise.resolve(['10.0.0.9', '::2', '10.0.0.10', 'fe80::1']);
    return Promise.reject(new Error(`getaddrinfo ENOTFOUND ${host}`));
  },
  lookupSRV(name) {
    if (name !== '_ldap._tcp.example.test') return Promise.reject(new Error('ENOTFOUND'));
    return Promise.resolve([
      { name: 'b.example.test', port: 389, priority: 10, weight: 5 },
      { name: 'a.example.test', port: 636, priority: 20, weight: 1 },
      { name: 'a.example.test', port: 389, priority: 10, weight: 5 },
    ]);
  },
};

test('a render records misses and returns empty lists', () => {
  const { fns, recorder } = functionsWith();
  assert.deepEqual(fns.lookupIP('multi.test'), []);
  assert.deepEqual(fns.lookupIPV4('multi.test'), []);
  assert.deepEqual(fns.lookupSRV('ldap', 'tcp', 'example.test'), []);
  assert.deepEqual([...recorder.missing.keys()], ['ip:multi.test', 'srv:ldap:tcp:example.test']);
});

test('resolveLookups sorts like confd and turns failures into empty lists', async () => {
  const requests = new Map<string, LookupRequest>([
    ['ip:multi.test', { kind: 'ip', host: 'multi.test' }],
    ['ip:nowhere.test', { kind: 'ip', host: 'nowhere.test' }],
    [
      'srv:ldap:tcp:example.test',
      { kind: 'srv', service: 'ldap', proto: 'tcp', name: 'example.test' },
    ],
    ['srv:x:tcp:example.test', { kind: 'srv', service: 'x', proto: 'tcp', name: 'example.test' }],
  ]);
  const resolved = await resolveLookups(requests, { resolver: fake });
  // Sorted as strings, as confd's sort.Strings does: "10.0.0.10" < "10.0.0.9".
  assert.deepEqual(resolved.get('ip:multi.test'), ['10.0.0.10', '10.0.0.9', '::2', 'fe80::1']);
  assert.deepEqual(resolved.get('ip:nowhere.test'), []);
  assert.deepEqual(resolved.get('srv:x:tcp:example.test'), []);
  const srv = resolved.get('srv:ldap:tcp:example.test') as SRVRecord[];
  assert.deepEqual(
    srv.map((r) => r[goFormat]()),
    ['&{a.example.test. 389 10 5}', '&{a.example.test. 636 20 1}', '&{b.example.test. 389 10 5}'],
  );

  const { fns, recorder } = functionsWith(resolved);
  assert.deepEqual(fns.lookupIP('multi.test'), ['10.0.0.10', '10.0.0.9', '::2', 'fe80::1']);
  assert.deepEqual(fns.lookupIPV4('multi.test'), ['10.0.0.10', '10.0.0.9']);
  assert.deepEqual(fns.lookupIPV6('multi.test'), ['::2', 'fe80::1']);
  const records = fns.lookupSRV('ldap', 'tcp', 'example.test') as SRVRecord[];
  assert.deepEqual(
    records.map((r) => `${r.Target}:${r.Port}`),
    ['a.example.test.:389', 'a.example.test.:636', 'b.example.test.:389'],
  );
  assert.equal(recorder.missing.size, 0);
  // Results are copies: reversing one does not change the cache.
  fns.reverse(fns.lookupIP('multi.test'));
  assert.deepEqual(fns.lookupIP('multi.test'), ['10.0.0.10', '10.0.0.9', '::2', 'fe80::1']);
});

test('resolveLookups resolves localhost with the system resolver', async () => {
  const resolved = await resolveLookups([['ip:localhost', { kind: 'ip', host: 'localhost' }]]);
  const ips = resolved.get('ip:localhost') as string[];
  assert.ok(ips.length > 0, 'localhost has addresses');
  assert.ok(
    ips.every((ip) => ip === '::1' || ip.startsWith('127.')),
    ips.join(' '),
  );
  assert.deepEqual([...ips].sort(), ips);
  const { fns } = functionsWith(resolved);
  assert.ok((fns.lookupIPV4('localhost') as string[]).every((ip) => ip.startsWith('127.')));
});

test('resolveLookups honours an aborted signal', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    resolveLookups([['ip:multi.test', { kind: 'ip', host: 'multi.test' }]], {
      resolver: fake,
      signal: controller.signal,
    }),
    { name: 'AbortError' },
  );
});
