/**
 * The handlebars engine: confd's integration templates written in handlebars render byte for byte
 * like confd's expected files, output is never HTML-escaped, errors carry codes and the template
 * name, and lookups are recorded instead of resolved during a render.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfdError, ErrorCode } from '../../src/errors.js';
import { createHandlebarsEngine, handlebarsEngine } from '../../src/template/handlebars.js';
import type { RenderContext } from '../../src/template/types.js';
import { integrationDir, needsConfdFixtures } from './confd-integration.js';

const expectDir = join(integrationDir, 'expect');

/** The seed data of confd's consul integration test (integration/consul/test.sh). */
const seed = new Map<string, string>([
  ['/key', 'foobar'],
  ['/database/host', '127.0.0.1'],
  ['/database/password', 'p@sSw0rd'],
  ['/database/port', '3306'],
  ['/database/username', 'confd'],
  ['/upstream/app2', '10.0.1.11:8080'],
  ['/upstream/app1', '10.0.1.10:8080'],
  ['/nested/east/app1', '10.0.1.10:8080'],
  ['/nested/west/app2', '10.0.1.11:8080'],
  ['/nginx/http/server/proxy', 'example.com:8080'],
  ['/html', '<a&b>"\''],
]);

function context(overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    keys: seed,
    env: { HOSTNAME: 'localhost' },
    now: () => Date.UTC(2026, 10, 25, 19, 47, 3, 675),
    ...overrides,
  };
}

function render(source: string, name = 't.hbs', ctx: RenderContext = context()): string {
  return handlebarsEngine.compile(source, name).render(ctx).output;
}

function rejects(fn: () => unknown, code: string, message: string | RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfdError, `a ConfdError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

const iterationHbs = `upstream app {
{{#each (gets "/upstream/*")}}
  server {{this.Value}};
{{/each}}
}

server {
    server_name  www.example.com;
    location / {
        proxy_pass        http://app;
        proxy_redirect    off;
        proxy_set_header  Host             $host;
        proxy_set_header  X-Real-IP        $remote_addr;
        proxy_set_header  X-Forwarded-For  $proxy_add_x_forwarded_for;
   }
}
`;

const basicHbs = `hostname: {{getenv "HOSTNAME"}}
[database]
host={{getv "/database/host"}}
password={{getv "/database/password"}}
port={{getv "/database/port"}}
username={{getv "/database/username"}}
`;

test(
  'confd integration: iteration template in handlebars matches expect/iteration.conf',
  { skip: needsConfdFixtures() },
  async () => {
    const want = await readFile(join(expectDir, 'iteration.conf'), 'utf8');
    assert.equal(render(iterationHbs, 'iteration.conf.hbs'), want);
  },
);

test(
  'confd integration: basic template in handlebars matches expect/basic.conf',
  { skip: needsConfdFixtures() },
  async () => {
    const want = await readFile(join(expectDir, 'basic.conf'), 'utf8');
    assert.equal(render(basicHbs, 'basic.conf.hbs'), want);
  },
);

test(
  'confd integration: exists template in handlebars matches expect/exists-test.conf',
  { skip: needsConfdFixtures() },
  async () => {
    const want = await readFile(join(expectDir, 'exists-test.conf'), 'utf8');
    const source = '{{#if (exists "/key")}}\nvalue: {{getv "/key"}}\n{{/if}}\n';
    assert.equal(render(source, 'exists-test.conf.hbs'), want);
  },
);

test('the walkthrough nginx proxy line renders with getv', () => {
  const source = '    proxy_pass http://www.{{getv "/nginx/http/server/proxy"}};\n';
  assert.equal(render(source), '    proxy_pass http://www.example.com:8080;\n');
});

test('output is not HTML-escaped', () => {
  assert.equal(render('{{getv "/html"}}|{{{getv "/html"}}}'), `<a&b>"'|<a&b>"'`);
});

test('each over gets exposes Key and Value; @index and nested calls work', () => {
  const source =
    '{{#each (gets "/nested/*/*")}}{{@index}}:{{Key}}={{Value}} in {{base (dir Key)}};{{/each}}';
  assert.equal(
    render(source),
    '0:/nested/east/app1=10.0.1.10:8080 in east;1:/nested/west/app2=10.0.1.11:8080 in west;',
  );
});

test('library functions work as helpers and subexpressions', () => {
  const cases: [string, string][] = [
    ['{{getv "/nope" "fallback"}}', 'fallback'],
    ['[{{getv "/nope" ""}}]', '[]'],
    ['{{#each (getvs "/upstream/*")}}{{this}} {{/each}}', '10.0.1.10:8080 10.0.1.11:8080 '],
    ['{{#each (ls "/")}}{{this}},{{/each}}', 'database,html,key,nested,nginx,upstream,'],
    ['{{#each (lsdir "/nested")}}{{this}},{{/each}}', 'east,west,'],
    ['{{join (split "a:b:c" ":") "-"}}', 'a-b-c'],
    ['{{toUpper (getv "/key")}}', 'FOOBAR'],
    ['{{add 2 (mul 3 4)}} {{div 7 2}} {{mod 7 2}} {{sub 1 5}}', '14 3 1 -4'],
    ['{{#each (seq 1 3)}}{{this}}{{/each}}', '123'],
    [
      '{{#each (reverse (getvs "/upstream/*"))}}{{this}} {{/each}}',
      '10.0.1.11:8080 10.0.1.10:8080 ',
    ],
    ['{{#with (json "{\\"n\\":1000000,\\"s\\":\\"x\\"}")}}{{n}} {{s}}{{/with}}', '1000000 x'],
    ['{{#each (jsonArray "[1,2]")}}{{this}};{{/each}}', '1;2;'],
    ['{{#with (map "a" 1 "b" "two")}}{{a}}-{{b}}{{/with}}', '1-two'],
    ['{{#each (map "b" 1 "a" 2 "b" 3)}}{{@key}}={{this}};{{/each}}', 'a=2;b=3;'],
    ['{{#each (json "{\\"z\\":1,\\"a\\":2}")}}{{@key}};{{/each}}', 'a;z;'],
    ['{{base64Decode (base64Encode "hi")}}', 'hi'],
    ['{{parseBool "true"}} {{exists "/key"}} {{exists "/nope"}}', 'true true false'],
    ['{{#if (contains (getv "/key") "oo")}}yes{{else}}no{{/if}}', 'yes'],
    ['{{replace "a.b.c" "." "_" -1}} {{trimSuffix "x.conf" ".conf"}}', 'a_b_c x'],
    // datetime is in the local zone, so only the seconds and the shape are fixed.
    ['{{datetime}}', '^2026-11-2[56] \\d\\d:\\d\\d:03\\.675 [+-]\\d{4} \\S+$'],
    ['{{atoi "42"}}', '42'],
    [
      '{{#with (json "{\\"z\\":0,\\"o\\":1}")}}{{#if z}}z{{/if}}{{#if o}}o{{/if}}{{#unless z}}!z{{/unless}}{{/with}}',
      'o!z',
    ],
    ['{{undefinedVariable}}|{{this.nothing}}|{{log}}', '||'],
  ];
  for (const [source, want] of cases) {
    const out = render(source);
    if (source === '{{datetime}}') assert.match(out, new RegExp(want));
    else assert.equal(out, want, source);
  }
});

test("a missing key fails with CFD_ERR_TEMPLATE_KEY_MISSING and confd's text", () => {
  rejects(
    () => render('line one\n  {{getv "/app/nope"}}', 'b.hbs'),
    ErrorCode.TEMPLATE_KEY_MISSING,
    'template: b.hbs:2:3: error calling getv: key does not exist: /app/nope',
  );
});

test("function errors fail with CFD_ERR_TEMPLATE_EXEC and the function's error", () => {
  rejects(
    () => render('{{div 1 0}}', 'd.hbs'),
    ErrorCode.TEMPLATE_EXEC,
    'template: d.hbs:1:1: error calling div: runtime error: integer divide by zero',
  );
  rejects(
    () => render('{{#each (gets "/a/[")}}{{/each}}', 'p.hbs'),
    ErrorCode.TEMPLATE_EXEC,
    'template: p.hbs:1:9: error calling gets: syntax error in pattern',
  );
  rejects(
    () => render('{{#if}}x{{/if}}', 'if.hbs'),
    ErrorCode.TEMPLATE_EXEC,
    /^template: if\.hbs.*#if requires exactly one argument/,
  );
});

test('syntax errors fail at compile time with CFD_ERR_TEMPLATE_PARSE', () => {
  rejects(
    () => handlebarsEngine.compile('ok\n{{getv "/x"', 'bad.hbs'),
    ErrorCode.TEMPLATE_PARSE,
    /^template: bad\.hbs:2: parse error: Expecting .*got 'EOF'$/,
  );
  rejects(
    () => handlebarsEngine.compile('a\n{{#if x}}b{{/each}}', 'm.hbs'),
    ErrorCode.TEMPLATE_PARSE,
    "template: m.hbs:2: if doesn't match each",
  );
  rejects(
    () => handlebarsEngine.compile('{{nosuch "x"}}', 'f.hbs'),
    ErrorCode.TEMPLATE_PARSE,
    'template: f.hbs:1: function "nosuch" not defined',
  );
  rejects(
    () => handlebarsEngine.compile('a\nb\n{{> header}}', 'p.hbs'),
    ErrorCode.TEMPLATE_PARSE,
    'template: p.hbs:3: partials are not supported',
  );
  rejects(
    () => handlebarsEngine.compile('x\n{{log "to stdout"}}', 'log.hbs'),
    ErrorCode.TEMPLATE_PARSE,
    'template: log.hbs:2: function "log" not defined',
  );
});

test('compile once, render many with different snapshots', () => {
  const tpl = handlebarsEngine.compile('{{getv "/k" "none"}}', 'k.hbs');
  assert.equal(tpl.render(context({ keys: new Map([['/k', 'one']]) })).output, 'one');
  assert.equal(tpl.render(context({ keys: new Map([['/k', 'two']]) })).output, 'two');
  assert.equal(tpl.render(context({ keys: new Map() })).output, 'none');
});

test('lookups record misses and render from the resolved cache', () => {
  const tpl = handlebarsEngine.compile(
    '{{#each (lookupIPV4 "db.internal")}}{{this}} {{/each}}|{{#each (lookupSRV "ldap" "tcp" "example.com")}}{{Target}}:{{Port}}{{/each}}',
    'l.hbs',
  );
  const first = tpl.render(context());
  assert.equal(first.output, '|');
  assert.deepEqual(
    [...first.missingLookups],
    [
      ['ip:db.internal', { kind: 'ip', host: 'db.internal' }],
      [
        'srv:ldap:tcp:example.com',
        { kind: 'srv', service: 'ldap', proto: 'tcp', name: 'example.com' },
      ],
    ],
  );
  const lookups = new Map<string, unknown>([
    ['ip:db.internal', ['10.0.0.2', '10.0.0.3', '::1']],
    ['srv:ldap:tcp:example.com', []],
  ]);
  const second = tpl.render(context({ lookups }));
  assert.equal(second.output, '10.0.0.2 10.0.0.3 |');
  assert.equal(second.missingLookups.size, 0);
});

test('fileExists comes from the render context or the engine options', () => {
  const source = '{{fileExists "/etc/x"}}';
  assert.equal(render(source, 't.hbs', context({ fileExists: (p) => p === '/etc/x' })), 'true');
  const engine = createHandlebarsEngine({ fileExists: () => true });
  assert.equal(engine.compile(source, 't.hbs').render(context()).output, 'true');
  // The render context wins over the engine's default.
  const ctx = context({ fileExists: () => false });
  assert.equal(engine.compile(source, 't.hbs').render(ctx).output, 'false');
});

test('engines are isolated: helpers registered globally do not leak in', async () => {
  const { default: Handlebars } = await import('handlebars');
  Handlebars.registerHelper('leaky', () => 'leaked');
  try {
    rejects(
      () => handlebarsEngine.compile('{{leaky "x"}}', 'i.hbs'),
      ErrorCode.TEMPLATE_PARSE,
      /not defined/,
    );
  } finally {
    Handlebars.unregisterHelper('leaky');
  }
});
