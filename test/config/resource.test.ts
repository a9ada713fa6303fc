import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findResourceFiles, loadResources } from '../../src/resource.js';
import { createLogger } from '../../src/log.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
  return { logger, lines };
}

async function confdir(t: Parameters<typeof tempDir>[0], files: Record<string, string>) {
  const dir = await tempDir(t);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, 'conf.d', name, '..'), { recursive: true });
    await writeFile(join(dir, 'conf.d', name), text);
  }
  await mkdir(join(dir, 'conf.d'), { recursive: true });
  return {
    dir,
    options: {
      confdir: dir,
      resourceDir: join(dir, 'conf.d'),
      templateDir: join(dir, 'templates'),
    },
  };
}

test('resource files are found like filepath.Walk with *toml: lexical, recursive', async (t) => {
  const { dir } = await confdir(t, {
    'b.toml': '',
    'a/z.toml': '',
    'c.toml': '',
    xtoml: '',
    'notes.txt': '',
    'a.toml.bak': '',
  });
  const files = await findResourceFiles(join(dir, 'conf.d'));
  assert.deepEqual(
    files.map((f) => f.slice(dir.length + 8)),
    ['a/z.toml', 'b.toml', 'c.toml', 'xtoml'],
  );
});

test('a [template] table resolves keys, prefix, mode, engine and commands', async (t) => {
  const { options } = await confdir(t, {
    'nginx.toml': [
      '[template]',
      'src = "nginx.conf.tmpl"',
      'dest = "/tmp/nginx.conf"',
      'prefix = "app"',
      'keys = ["/nginx", "upstream/", "/a//b/../c"]',
      'mode = "644"',
      'uid = 1000',
      'gid = -1',
      'owner = "nobody"',
      'check_cmd = "nginx -t -c {{.src}}"',
      'reload_cmd = "echo reloaded"',
      'unknown = true',
    ].join('\n'),
    'page.toml': '[template]\nsrc = "page.hbs"\ndest = "/tmp/p"\nengine = "go"\n',
    'other.toml': '[template]\nsrc = "x.handlebars"\ndest = "/tmp/x"\n',
  });
  const { logger, lines } = capture();
  const { resources, errors } = await loadResources({ ...options, prefix: '', logger });
  assert.deepEqual(errors, []);
  const [nginx, other, page] = resources;
  assert.ok(nginx && other && page);
  assert.equal(nginx.src, join(options.templateDir, 'nginx.conf.tmpl'));
  assert.equal(nginx.prefix, '/app');
  assert.deepEqual(nginx.keys, ['/app/nginx', '/app/upstream', '/app/a/c']);
  assert.equal(nginx.mode, 0o644);
  assert.equal(nginx.uid, 1000);
  assert.equal(nginx.gid, undefined);
  assert.equal(nginx.owner, 'nobody');
  assert.equal(nginx.checkCmd, 'nginx -t -c {{.src}}');
  assert.equal(nginx.reloadCmd, 'echo reloaded');
  assert.equal(nginx.engine, 'go');
  assert.equal(other.engine, 'handlebars');
  assert.equal(page.engine, 'go');
  assert.equal(page.prefix, '/');
  assert.ok(
    lines.some((l) =>
      l.includes(`DEBUG Loading template resources from confdir ${options.confdir}`),
    ),
  );
  assert.ok(lines.some((l) => l.includes(`DEBUG Found template: ${nginx.file}`)));
  assert.ok(lines.some((l) => l.includes(`DEBUG Loading template resource from ${nginx.file}`)));
});

test('a global prefix replaces the resource prefix', async (t) => {
  const { options } = await confdir(t, {
    'a.toml': '[template]\nsrc = "a"\ndest = "/tmp/a"\nprefix = "/mine"\nkeys = ["/k"]\n',
  });
  const { resources } = await loadResources({
    ...options,
    prefix: 'global',
    logger: capture().logger,
  });
  assert.equal(resources[0]?.prefix, '/global');
  assert.deepEqual(resources[0]?.keys, ['/global/k']);
});

test('a bad file is one error naming file and line; the others still load', async (t) => {
  const { options } = await confdir(t, {
    'a.toml': '[template]\nsrc = "a"\ndest = "/tmp/a"\n',
    'b.toml': '[template]\nsrc = "b"\ndest = "/tmp/b"\nkeys = [\n',
    'c.toml': '[template]\ndest = "/tmp/c"\n',
    'd.toml': '[template]\nsrc = "d"\ndest = "/tmp/d"\n\nmode = "abc"\n',
    'e.toml': '[template]\nsrc = "e"\ndest = "/tmp/e"\nkeys = "/one"\n',
  });
  const { resources, errors } = await loadResources({
    ...options,
    prefix: '',
    logger: capture().logger,
  });
  assert.deepEqual(
    resources.map((r) => r.srcName),
    ['a'],
  );
  assert.equal(errors.length, 4);
  for (const e of errors) assert.ok(isConfdError(e, ErrorCode.RESOURCE_INVALID));
  const file = (n: string) => join(options.resourceDir, n);
  assert.match(
    errors[0].message,
    new RegExp(`^Cannot process template resource ${file('b.toml')} - line 5, column \\d+: `),
  );
  assert.equal(
    errors[1].message,
    `Cannot process template resource ${file('c.toml')} - empty src template`,
  );
  assert.match(
    errors[2].message,
    new RegExp(`^Cannot process template resource ${file('d.toml')} - line 5: invalid mode "abc"`),
  );
  assert.equal(
    errors[3].message,
    `Cannot process template resource ${file('e.toml')} - line 4: keys: must be an array of strings`,
  );
});

test('confdir missing: warning and no resources; conf.d missing: stat error', async (t) => {
  const { logger, lines } = capture();
  const none = await loadResources({
    confdir: '/nonexistent/confd',
    resourceDir: '/nonexistent/confd/conf.d',
    templateDir: '/nonexistent/confd/templates',
    prefix: '',
    logger,
  });
  assert.deepEqual(none, { resources: [], errors: [] });
  assert.match(
    lines.join(''),
    /WARNING Cannot load template resources: confdir '\/nonexistent\/confd' does not exist\n/,
  );
  const dir = await tempDir(t);
  const r = await loadResources({
    confdir: dir,
    resourceDir: join(dir, 'conf.d'),
    templateDir: join(dir, 'templates'),
    prefix: '',
    logger,
  });
  assert.equal(r.errors[0]?.message, `stat ${join(dir, 'conf.d')}: no such file or directory`);
});

test('an empty conf.d warns "Found no templates"', async (t) => {
  const { options } = await confdir(t, {});
  const { logger, lines } = capture();
  await loadResources({ ...options, prefix: '', logger });
  assert.match(lines.join(''), /WARNING Found no templates\n/);
});
