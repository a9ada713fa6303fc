/**
 * The engine registry: `.hbs`/`.handlebars` templates use handlebars, everything else Go
 * text/template, an override wins, and both engines render the same functions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfdError, ErrorCode } from '../../src/errors.js';
import {
  createDefaultEngines,
  createEngineRegistry,
  engineFor,
  isTemplateEngineName,
} from '../../src/template/engines.js';

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
