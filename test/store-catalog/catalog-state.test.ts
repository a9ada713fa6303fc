import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CatalogState,
  decodeCatalog,
  encodeCatalog,
  healthEntryJson,
  parseCatalogRegister,
  parseServiceDefinition,
  serviceNodeJson,
  type CatalogCommand,
} from '../../src/store/catalog/index.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';

function reg(body: unknown): CatalogCommand {
  const parsed = parseCatalogRegister(body, 'dc1');
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  return parsed.value;
}

function seeded(): { state: CatalogState; next: (c: CatalogCommand) => unknown } {
  const state = new CatalogState();
  let index = 0;
  const next = (c: CatalogCommand) => {
    const { outcome } = state.apply(++index, c);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
  next(
    reg({
      Node: 'n1',
      Address: '10.0.0.1',
      NodeMeta: { rack: 'a' },
      Check: { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' },
    }),
  );
  next(
    reg({
      Node: 'n2',
      Address: '10.0.0.2',
      NodeMeta: { rack: 'b' },
      Check: { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' },
    }),
  );
  next(
    reg({
      Node: 'n1',
      Address: '10.0.0.1',
      NodeMeta: { rack: 'a' },
      Service: { Service: 'web', Tags: ['rails', 'v1'], Port: 80 },
    }),
  );
  next(
    reg({
      Node: 'n2',
      Address: '10.0.0.2',
      NodeMeta: { rack: 'b' },
      Service: { Service: 'web', Tags: ['v2'], Port: 81 },
    }),
  );
  next(
    reg({
      Node: 'n2',
      Address: '10.0.0.2',
      NodeMeta: { rack: 'b' },
      SkipNodeUpdate: true,
      Check: { CheckID: 'service:web', Name: 'web alive', ServiceID: 'web', Status: 'passing' },
    }),
  );
  return { state, next };
}

test('catalog register fills Consul defaults and lists services with tag and node-meta filters', () => {
  const { state } = seeded();
  assert.deepEqual(state.services().value, { web: ['rails', 'v1', 'v2'] });
  assert.equal(state.services().index, 4);
  const all = state.serviceNodes('web').value.map(serviceNodeJson);
  assert.deepEqual(
    all.map((s) => [s.Node, s.ServiceID, s.ServicePort, s.ServiceTags]),
    [
      ['n1', 'web', 80, ['rails', 'v1']],
      ['n2', 'web', 81, ['v2']],
    ],
  );
  assert.equal(all[0].ServiceWeights.Passing, 1);
  assert.deepEqual(state.serviceNodes('web', { tags: ['rails', 'v1'] }).value.length, 1);
  assert.deepEqual(state.serviceNodes('web', { tags: ['rails', 'v2'] }).value.length, 0);
  assert.deepEqual(
    state.serviceNodes('web', { nodeMeta: [['rack', 'b']] }).value.map((e) => e.node.node),
    ['n2'],
  );
  // Per-service index: the check bound to web on n2 (index 5) moved it.
  assert.equal(state.serviceNodes('web').index, 5);
  assert.deepEqual(state.serviceNodes('nope').value, []);
});

test('health service: checks sorted with serfHealth first, ?passing needs every check passing', () => {
  const { state, next } = seeded();
  const entries = state.healthService('web').value.map((e) => healthEntryJson(e, state));
  assert.deepEqual(
    entries.map((e) => e.Checks.map((c) => c.CheckID)),
    [['serfHealth'], ['serfHealth', 'service:web']],
  );
  assert.equal(entries[1].Checks[1].ServiceName, 'web');
  assert.deepEqual(entries[1].Checks[1].ServiceTags, ['v2']);
  assert.equal(state.healthService('web', { passing: true }).value.length, 2);

  const before = state.serviceIndex('web');
  next({
    type: 'check-status',
    node: 'n2',
    checkId: 'service:web',
    status: 'critical',
    output: 'down',
  });
  assert.ok(state.serviceIndex('web') > before);
  assert.deepEqual(
    state.healthService('web', { passing: true }).value.map((e) => e.node.node),
    ['n1'],
  );
  // A node-level check failing takes every instance on that node out of ?passing.
  next({ type: 'check-status', node: 'n1', checkId: 'serfHealth', status: 'critical', output: '' });
  assert.deepEqual(state.healthService('web', { passing: true }).value, []);
  assert.deepEqual(
    state.checksInState('critical').value.map((c) => `${c.node}/${c.checkId}`),
    ['n1/serfHealth', 'n2/service:web'],
  );
});

test('an unchanged re-registration keeps indexes; deregistration removes dependants', () => {
  const { state, next } = seeded();
  const idx = state.serviceIndex('web');
  next(
    reg({
      Node: 'n1',
      Address: '10.0.0.1',
      NodeMeta: { rack: 'a' },
      Service: { Service: 'web', Tags: ['rails', 'v1'], Port: 80 },
    }),
  );
  assert.equal(state.serviceIndex('web'), idx);

  next({ type: 'catalog-deregister', node: 'n2', serviceId: 'web' });
  assert.equal(state.check('n2', 'service:web'), undefined);
  assert.deepEqual(
    state.serviceNodes('web').value.map((e) => e.node.node),
    ['n1'],
  );
  const { outcome, effects } = state.apply(8, { type: 'catalog-deregister', node: 'n1' });
  assert.ok(outcome.ok);
  assert.deepEqual(effects.removedNodes, ['n1']);
  assert.ok(effects.services.has('web'));
  assert.deepEqual(state.services().value, {});
  // The last instance gone: the service's index is the extinction index.
  assert.equal(state.serviceNodes('web').index, 8);
  assert.deepEqual(
    state.nodes().value.map((n) => n.node),
    ['n2'],
  );
});

test('refused commands change nothing and report a typed error', () => {
  const { state } = seeded();
  const last = state.maxIndex;
  const { outcome } = state.apply(99, {
    type: 'check-status',
    node: 'n1',
    checkId: 'missing',
    status: 'passing',
    output: '',
  });
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok && isConfdError(outcome.error, ErrorCode.STORE_INVALID_COMMAND));
  const bad = state.apply(
    100,
    reg({ Node: 'n1', Address: 'x', Check: { CheckID: 'c', ServiceID: 'ghost' } }),
  );
  assert.equal(bad.outcome.ok, false);
  assert.equal(state.maxIndex, last);
  assert.equal(state.node('n1')?.address, '10.0.0.1');
});

test('agent service definitions: snake_case, check IDs service:<id>[:n], initial critical', () => {
  const one = parseServiceDefinition(
    { name: 'web', tags: ['rails'], port: 80, check: { ttl: '30s' } },
    'me',
  );
  assert.ok(one.ok);
  assert.equal(one.value.service.id, 'web');
  assert.deepEqual(
    one.value.checks.map((c) => [c.checkId, c.name, c.status, c.type]),
    [['service:web', "Service 'web' check", 'critical', 'ttl']],
  );
  const two = parseServiceDefinition(
    {
      ID: 'web-1',
      Name: 'web',
      Checks: [
        { http: 'http://127.0.0.1/', interval: '10s' },
        { tcp: '127.0.0.1:1', interval: '5s', status: 'passing' },
      ],
    },
    'me',
  );
  assert.ok(two.ok);
  assert.deepEqual(
    two.value.checks.map((c) => [c.checkId, c.status]),
    [
      ['service:web-1:1', 'critical'],
      ['service:web-1:2', 'passing'],
    ],
  );
  const bad = parseServiceDefinition({ name: 'web', check: { http: 'http://x/' } }, 'me');
  assert.deepEqual(bad, {
    ok: false,
    message:
      'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks',
  });
  assert.deepEqual(parseServiceDefinition({ port: 1 }, 'me'), {
    ok: false,
    message: 'Missing service name',
  });
  assert.equal(parseServiceDefinition({ name: 'w', port: 'x' }, 'me').ok, false);
});

test('snapshot round trip keeps rows and indexes; corrupt data is refused', () => {
  const { state } = seeded();
  const copy = decodeCatalog(JSON.parse(JSON.stringify(encodeCatalog(state))));
  assert.deepEqual(copy.toSnapshot(), state.toSnapshot());
  assert.equal(copy.serviceIndex('web'), state.serviceIndex('web'));
  assert.deepEqual(copy.healthService('web').value, state.healthService('web').value);
  assert.throws(
    () => decodeCatalog({ ...encodeCatalog(state), nodes: [{ node: 1 }] }),
    (err: unknown) => isConfdError(err, ErrorCode.STORE_CORRUPT),
  );
});
