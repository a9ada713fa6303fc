import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { createHandlebarsEngine } from '../../src/template/handlebars.js';
import { createTemplateCache } from '../../src/watcher/template-cache.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

test('templates compile once and again only when the file changes', async (t) => {
  const dir = await tempDir(t);
  const src = join(dir, 'a.hbs');
  await writeFile(src, 'one {{getv "/k"}}');
  const engine = createHandlebarsEngine();
  let compiles = 0;
  const cache = createTemplateCache((_name, source, name) => {
    compiles += 1;
    return engine.compile(source, name);
  });
  const ctx = { keys: new Map([['/k', 'v']]), env: {}, now: Date.now };
  const a = await cache.get(src, 'handlebars');
  assert.equal(a.template.render(ctx).output, 'one v');
  const b = await cache.get(src, 'handlebars');
  assert.equal(b.compiled, false);
  assert.equal(b.version, a.version);
  assert.equal(compiles, 1);
  await writeFile(src, 'two {{getv "/k"}}!');
  const future = new Date(Date.now() + 5000);
  await utimes(src, future, future);
  const c = await cache.get(src, 'handlebars');
  assert.equal(c.compiled, true);
  assert.notEqual(c.version, a.version);
  assert.equal(c.template.render(ctx).output, 'two v!');
  assert.equal(compiles, 2);
});

test('a missing template and a syntax error give confd texts', async (t) => {
  const dir = await tempDir(t);
  const engine = createHandlebarsEngine();
  const cache = createTemplateCache((_n, source, name) => engine.compile(source, name));
  const missing = join(dir, 'nope.hbs');
  await assert.rejects(cache.get(missing, 'handlebars'), (err) => {
    assert.ok(isConfdError(err, ErrorCode.RESOURCE_MISSING_TEMPLATE));
    assert.equal(err.message, `Missing template: ${missing}`);
    return true;
  });
  const bad = join(dir, 'bad.hbs');
  await writeFile(bad, '{{#if}}');
  await assert.rejects(cache.get(bad, 'handlebars'), (err) => {
    assert.ok(isConfdError(err, ErrorCode.TEMPLATE_PARSE));
    assert.ok(err.message.startsWith(`Unable to process template ${bad}, `), err.message);
    return true;
  });
});
