/**
 * The engine registry: `.hbs`/`.handlebars` templates use handlebars, everything else Go
 * text/template, an override wins, and both engines render the same functions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfdError, ErrorCode } from '../../src/errors.js';
import {
  createDefaultEngines,
  createEngineRegistry,
  engineFor,
  isTemplateEngineName,
} from '../../src/template/engines.js';
import { integrationDir, integrationKeys, needsConfdFixtures } from './confd-integration.js';

test('engineFor picks by file name, an override wins', () => {
  assert.equal(engineFor('/etc/confd/templates/nginx.conf.tmpl'), 'go');
  assert.equal(engineFor('nginx.conf'), 'go');
  assert.equal(engineFor('nginx.conf.hbs'), 'handlebars');
  assert.equal(engineFor('nginx.HANDLEBARS'), 'handlebars');
  assert.equal(engineFor('nginx.hbs.tmpl'), 'go');
  assert.equal(engineFor('nginx.conf.hbs', 'go'), 'go');
  assert.equal(engineFor('nginx.conf.tmpl', 'handlebars'), 'handlebars');
  assert.ok(isTemplateEngineName('go'));
  assert.ok(!isTemplateEngineName('jinja'));
});

test('the default registry renders both engines with the same library', () => {
  const engines = createDefaultEngines();
  const context = { keys: new Map([['/k', 'v']]), env: {}, now: () => 0 };
  const go = engines.forTemplate('a.tmpl');
  assert.equal(go.name, 'go');
  assert.equal(go.compile('{{getv "/k"}}', 'a.tmpl').render(context).output, 'v');
  const hbs = engines.forTemplate('a.hbs');
  assert.equal(hbs.name, 'handlebars');
  assert.equal(hbs.compile('{{getv "/k"}}', 'a.hbs').render(context).output, 'v');
  assert.equal(engines.get('handlebars'), hbs);
});

test('an engine that is not registered is a typed error', () => {
  const registry = createEngineRegistry({});
  assert.throws(
    () => registry.get('go'),
    (err: unknown) => err instanceof ConfdError && err.code === ErrorCode.TEMPLATE_PARSE,
  );
});

test(
  'confd integration templates render byte for byte through the registry (Go engine)',
  { skip: needsConfdFixtures() },
  async () => {
    const base = integrationDir;
    const keys = integrationKeys();
    const context = { keys, env: { HOSTNAME: 'localhost' }, now: () => 0 };
    const engines = createDefaultEngines();
    const pairs: [string, string][] = [
      ['basic.conf.tmpl', 'basic.conf'],
      ['exists-test.conf.tmpl', 'exists-test.conf'],
      ['iteration.conf.tmpl', 'iteration.conf'],
    ];
    for (const [src, expect] of pairs) {
      const source = await readFile(join(base, 'confdir', 'templates', src), 'utf8');
      const want = await readFile(join(base, 'expect', expect), 'utf8');
      const out = engines.forTemplate(src).compile(source, src).render(context).output;
      assert.equal(out, want, src);
    }
    // nested is not checked upstream: with this data `/nested/*` matches nothing.
    const nested = await readFile(join(base, 'confdir', 'templates', 'nested.conf.tmpl'), 'utf8');
    const out = engines.get('go').compile(nested, 'nested.conf.tmpl').render(context).output;
    assert.ok(out.startsWith('upstream app {\n\n}\n\nserver {'), out);
  },
);
