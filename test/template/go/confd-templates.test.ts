/**
 * The Go engine with confd's function library: confd's integration templates render byte for byte
 * as upstream's expected files, and library errors surface in Go's error form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, isConfdError } from '../../../src/errors.js';
import { goTemplateEngine, renderGoTemplate } from '../../../src/template/go/index.js';
import type { RenderContext } from '../../../src/template/types.js';
import { integrationDir, integrationKeys, needsConfdFixtures } from '../confd-integration.js';

const templateText = (name: string): string =>
  readFileSync(join(integrationDir, 'confdir', 'templates', name), 'utf8');
const expected = (name: string): string =>
  readFileSync(join(integrationDir, 'expect', name), 'utf8');

/** The keys confd's integration test writes into every backend. */
const seeded: ReadonlyMap<string, string> = integrationKeys();

// 2026-11-25T19:47:03.500Z
const NOW = Date.UTC(2026, 10, 25, 19, 47, 3, 500);

function context(keys: ReadonlyMap<string, string> = seeded): RenderContext {
  return { keys, env: { HOSTNAME: 'localhost', TZ: 'UTC' }, now: () => NOW };
}

function render(source: string, name = 't', keys?: ReadonlyMap<string, string>): string {
  return goTemplateEngine.compile(source, name).render(context(keys)).output;
}

test(
  'confd integration templates render exactly the expected files',
  { skip: needsConfdFixtures() },
  () => {
    for (const [tmpl, out] of [
      ['basic.conf.tmpl', 'basic.conf'],
      ['exists-test.conf.tmpl', 'exists-test.conf'],
      ['iteration.conf.tmpl', 'iteration.conf'],
    ] as const) {
      assert.equal(render(templateText(tmpl), tmpl), expected(out), tmpl);
    }
  },
);

test(
  'nested.conf.tmpl: "/nested/*" does not cross "/", so the upstream block is empty',
  { skip: needsConfdFixtures() },
  () => {
    const tmpl = templateText('nested.conf.tmpl');
    const tail = tmpl.slice(tmpl.indexOf('\nserver {'));
    assert.equal(render(tmpl, 'nested.conf.tmpl'), `upstream app {\n\n}\n${tail}`);
    // With keys one level down, both ranges run once per match.
    const keys = new Map([['/nested/east', '10.0.0.1:80']]);
    assert.equal(
      render(tmpl, 'nested.conf.tmpl', keys),
      `upstream app {\n\n  \n    server 10.0.0.1:80;\n  \n\n}\n${tail}`,
    );
  },
);

test("a missing key fails with confd's Go error text and the key-missing code", () => {
  try {
    render('x\n{{ getv "/app/nope" }}', 'b.tmpl');
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(isConfdError(err, ErrorCode.TEMPLATE_KEY_MISSING), String(err));
    assert.equal(
      err.message,
      'template: b.tmpl:2:3: executing "b.tmpl" at <getv "/app/nope">: error calling getv: key does not exist: /app/nope',
    );
  }
});

test('library values print the Go way: KVPair, []string, JSON maps with float64', () => {
  assert.equal(
    render('{{range gets "/upstream/*"}}{{.}} {{end}}'),
    '{/upstream/app1 10.0.1.10:8080} {/upstream/app2 10.0.1.11:8080} ',
  );
  assert.equal(
    render('{{get "/key"}}|{{(get "/key").Value}}|{{$p := get "/key"}}{{$p.Key}}'),
    '{/key foobar}|foobar|/key',
  );
  assert.equal(render('{{ls "/database"}}'), '[host password port username]');
  assert.equal(render('{{getv "/nope" "dflt"}}|{{getv "/nope" ""}}|'), 'dflt||');
  assert.equal(
    render('{{json `{"a":1000000,"b":2.5,"c":"x","d":[1,null]}`}}'),
    'map[a:1e+06 b:2.5 c:x d:[1 <nil>]]',
  );
  assert.equal(render('{{(json `{"a":null}`).a}}|{{(json `{"n":{"m":7}}`).n.m}}'), '<no value>|7');
  assert.equal(render('{{range $k, $v := json `{"b":1,"a":2}`}}{{$k}}={{$v}} {{end}}'), 'a=2 b=1 ');
  assert.equal(
    render('{{printf "%s:%d" (getv "/database/host") (atoi (getv "/database/port"))}}'),
    '127.0.0.1:3306',
  );
  assert.equal(render('{{add 1 2}} {{seq 1 3}} {{join (split "a,b" ",") "-"}}'), '3 [1 2 3] a-b');
});

test('methods on values: datetime.Format, (datetime).Unix and Go arity errors', () => {
  assert.equal(render('{{datetime.Format "2006-01-02"}}'), '2026-11-25');
  assert.equal(render('{{(datetime).Unix}}'), String(Math.floor(NOW / 1000)));
  assert.equal(
    render('{{datetime.Month}} {{printf "%d" datetime.Month}} {{datetime.UTC.Year}}'),
    'November 11 2026',
  );
  assert.equal(render('{{printf "%T %T" (get "/key") datetime}}'), 'memkv.KVPair time.Time');
  assert.throws(
    () => render('{{datetime.Format}}'),
    (err: unknown) =>
      isConfdError(err, ErrorCode.TEMPLATE_EXEC) &&
      err.message ===
        'template: t:1:2: executing "t" at <datetime>: wrong number of args for Format: want 1 got 0',
  );
  assert.throws(
    () => render('{{getv}}'),
    (err: unknown) =>
      isConfdError(err, ErrorCode.TEMPLATE_EXEC) &&
      err.message ===
        'template: t:1:2: executing "t" at <getv>: wrong number of args for getv: want at least 1 got 0',
  );
});

test('compile once, render many: each render sees its own snapshot', () => {
  const compiled = goTemplateEngine.compile('{{getv "/k"}}', 't');
  assert.equal(compiled.render({ ...context(), keys: new Map([['/k', 'one']]) }).output, 'one');
  assert.equal(compiled.render({ ...context(), keys: new Map([['/k', 'two']]) }).output, 'two');
});

test('renderGoTemplate renders check_cmd with data {src}; other fields print <no value>', () => {
  assert.equal(
    renderGoTemplate('nginx -t -c {{.src}} {{.dest}}', {
      name: 'checkcmd',
      data: { src: '/tmp/.x' },
    }),
    'nginx -t -c /tmp/.x <no value>',
  );
  assert.throws(
    () => renderGoTemplate('{{getv "/x"}}', { name: 'checkcmd' }),
    (err: unknown) =>
      isConfdError(err, ErrorCode.TEMPLATE_PARSE) &&
      err.message === 'template: checkcmd:1: function "getv" not defined',
  );
});

test('library arguments are checked against the Go signatures before the call', () => {
  const cases: [string, string][] = [
    ['{{getv 1}}', 'template: t:1:7: executing "t" at <1>: expected string; found 1'],
    ['{{add "1" 2}}', 'template: t:1:6: executing "t" at <"1">: expected integer; found "1"'],
    [
      '{{add (getv "/database/port") 1}}',
      'template: t:1:12: executing "t" at <"/database/port">: wrong type for value; expected int; got string',
    ],
    [
      '{{getv .Missing}}',
      'template: t:1:7: executing "t" at <.Missing>: invalid value; expected string',
    ],
    [
      '{{join (getvs "/upstream/*") 1}}',
      'template: t:1:29: executing "t" at <1>: expected string; found 1',
    ],
    [
      '{{seq 1}}',
      'template: t:1:2: executing "t" at <seq>: wrong number of args for seq: want 2 got 1',
    ],
    [
      '{{datetime 1}}',
      'template: t:1:2: executing "t" at <datetime>: wrong number of args for datetime: want 0 got 1',
    ],
    [
      '{{sortKVByLength (getvs "/upstream/*")}}',
      'template: t:1:24: executing "t" at <"/upstream/*">: wrong type for value; expected []memkv.KVPair; got []string',
    ],
    [
      '{{join "a" ","}}',
      'template: t:1:7: executing "t" at <"a">: can\'t handle "a" for arg of type []string',
    ],
  ];
  for (const [source, want] of cases) {
    assert.throws(
      () => render(source),
      (err: unknown) => isConfdError(err, ErrorCode.TEMPLATE_EXEC) && err.message === want,
      source,
    );
  }
  assert.equal(
    render('{{add 1.0 2}} {{"/key" | getv}} {{getv "/x" "d" | printf "%s!"}}'),
    '3 foobar d!',
  );
});
