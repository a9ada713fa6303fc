/**
 * Service-aware functions (`service`, `services`, `nodes`): a render records catalog lookups by a
 * stable id, and the next render reads the resolved instances, in both engines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDefaultEngines } from '../../src/template/engines.js';
import { parseServiceQuery } from '../../src/template/functions-service.js';
import type { ServiceInstance, TemplateEngineName } from '../../src/template/types.js';

const engines = createDefaultEngines();

function instance(node: string, id: string, address: string, port: number): ServiceInstance {
  return {
    Node: node,
    Address: address,
    ID: id,
    Name: 'web',
    Port: port,
    Tags: ['rails'],
    Meta: {},
  };
}

const lookups = new Map<string, unknown>([
  [
    'service:web::passing',
    [instance('n1', 'web-1', '10.0.0.1', 8080), instance('n2', 'web-2', '10.0.0.2', 8081)],
  ],
  ['service:web:rails:any', [instance('n3', 'web-3', '10.0.0.3', 9000)]],
  ['service:db::passing', []],
  [
    'services',
    [
      { Name: 'db', Tags: [] },
      { Name: 'web', Tags: ['rails'] },
    ],
  ],
  ['nodes', [{ Node: 'n1', Address: '192.0.2.1' }]],
]);

function render(engine: TemplateEngineName, source: string, cache?: ReadonlyMap<string, unknown>) {
  const compiled = engines.get(engine).compile(source, `t.${engine}`);
  return compiled.render({
    keys: new Map(),
    env: {},
    now: () => 0,
    ...(cache ? { lookups: cache } : {}),
  });
}

const cases: { name: string; go: string; hbs: string; want: string }[] = [
  {
    name: 'healthy instances',
    go: '{{range service "web"}}{{.Node}} {{.Address}}:{{.Port}}\n{{end}}',
    hbs: '{{#each (service "web")}}{{Node}} {{Address}}:{{Port}}\n{{/each}}',
    want: 'n1 10.0.0.1:8080\nn2 10.0.0.2:8081\n',
  },
  {
    name: 'tag filter and any state',
    go: '{{range service "rails.web|any"}}{{.ID}}{{end}}',
    hbs: '{{#each (service "rails.web|any")}}{{ID}}{{/each}}',
    want: 'web-3',
  },
  {
    name: 'no instances falls back',
    go: '{{range service "db"}}x{{else}}none{{end}}',
    hbs: '{{#each (service "db")}}x{{else}}none{{/each}}',
    want: 'none',
  },
  {
    name: 'services and nodes',
    go: '{{range services}}{{.Name}};{{end}}{{range nodes}}{{.Node}}={{.Address}}{{end}}',
    hbs: '{{#each (services)}}{{Name}};{{/each}}{{#each (nodes)}}{{Node}}={{Address}}{{/each}}',
    want: 'db;web;n1=192.0.2.1',
  },
];

for (const c of cases) {
  for (const engine of ['go', 'handlebars'] as const) {
    test(`${engine}: ${c.name}`, () => {
      const source = engine === 'go' ? c.go : c.hbs;
      const first = render(engine, source);
      assert.ok(first.missingLookups.size > 0, 'the first render records the lookups');
      for (const id of first.missingLookups.keys()) assert.ok(lookups.has(id), `known id ${id}`);
      const second = render(engine, source, lookups);
      assert.equal(second.missingLookups.size, 0);
      assert.equal(second.output, c.want);
    });
  }
}

test('parseServiceQuery reads tag, name and health filter', () => {
  assert.deepEqual(parseServiceQuery('web'), {
    kind: 'service',
    name: 'web',
    tag: '',
    passing: true,
  });
  assert.deepEqual(parseServiceQuery('rails.web|any'), {
    kind: 'service',
    name: 'web',
    tag: 'rails',
    passing: false,
  });
  assert.throws(() => parseServiceQuery('web|warning'), /unsupported health filter "warning"/);
  assert.throws(() => parseServiceQuery('rails.'), /missing service name/);
});
