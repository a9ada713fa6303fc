/**
 * Robustness and speed of the Go engine: a few hundred random and mutated templates each either
 * render or throw a ConfdError (never another exception), and rendering the iteration template is
 * within 1.5x of the handlebars engine on 1,000 and 10,000 keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isConfdError } from '../../../src/errors.js';
import { goTemplateEngine } from '../../../src/template/go/index.js';
import { handlebarsEngine } from '../../../src/template/handlebars.js';
import type { RenderContext } from '../../../src/template/types.js';

/** mulberry32 is a small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const corpus = [
  'upstream app {\n{{- range gets "/upstream/*" }}\n  server {{ .Value }};\n{{- end }}\n}\n',
  '{{ if exists "/key" }}value: {{ getv "/key" }}{{ end }}',
  '{{$x := 1}}{{range $i, $v := split "a,b" ","}}{{$i}}{{$v}}{{$x = $i}}{{end}}{{$x}}',
  '{{define "T"}}[{{.}}]{{end}}{{template "T" (getv "/key")}}{{block "B" 2}}{{.}}{{end}}',
  '{{with $v := json `{"a":[1,2,{"b":null}]}`}}{{$v.a}}{{index $v.a 2}}{{else}}none{{end}}',
  '{{printf "%5.2f %q %x %v %d" 3.14159 "s" 255 (ls "/") 7}} {{print 1 "a" nil}}',
  '{{/* c */}}{{- and 1 (or 0 "x") -}} {{not (eq 1 2)}} {{lt "a" "b"}} {{len "abc"}}',
  '{{(datetime).Unix}} {{datetime.Format "2006"}} {{slice "abcdef" 1 3}} {{html "<a>"}}',
  '{{range 3}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}{{with 0}}{{else with 1}}{{.}}{{end}}',
];

const pieces = [
  '{{',
  '}}',
  '{{-',
  '-}}',
  ' ',
  '\n',
  '$',
  '$x',
  '.',
  '.Key',
  '(',
  ')',
  '|',
  '"',
  '`',
  "'",
  ':=',
  '=',
  ',',
  'if',
  'else',
  'end',
  'range',
  'with',
  'define',
  'template',
  'block',
  'nil',
  'break',
  'continue',
  '1',
  '0x',
  '1e',
  '/*',
  '*/',
  'getv',
  'gets',
  'printf',
  '"%d"',
  'index',
  'len',
  'and',
  'or',
  'eq',
  'é',
  '\u00a0',
  '\\',
  '%',
];

function mutate(source: string, rand: () => number): string {
  let s = source;
  const edits = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (s.length + 1));
    const op = rand();
    if (op < 0.4) {
      s = s.slice(0, at) + pieces[Math.floor(rand() * pieces.length)] + s.slice(at);
    } else if (op < 0.7) {
      s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 3));
    } else {
      const other = corpus[Math.floor(rand() * corpus.length)];
      const from = Math.floor(rand() * other.length);
      s = s.slice(0, at) + other.slice(from, from + Math.floor(rand() * 12)) + s.slice(at);
    }
  }
  return s;
}

const context: RenderContext = {
  keys: new Map([
    ['/key', 'foobar'],
    ['/upstream/a', '10.0.0.1'],
    ['/upstream/b', '10.0.0.2'],
  ]),
  env: {},
  now: () => 0,
  fileExists: () => false,
};

test('random and mutated templates either render or throw a ConfdError', () => {
  const rand = prng(20261125);
  let rendered = 0;
  let failed = 0;
  const sources: string[] = [...corpus];
  for (let i = 0; i < 400; i++) sources.push(mutate(corpus[i % corpus.length], rand));
  for (let i = 0; i < 100; i++) {
    let s = '';
    const n = 1 + Math.floor(rand() * 12);
    for (let k = 0; k < n; k++) s += pieces[Math.floor(rand() * pieces.length)];
    sources.push(s);
  }
  for (const source of sources) {
    try {
      const out = goTemplateEngine.compile(source, 'fuzz.tmpl').render(context).output;
      assert.equal(typeof out, 'string');
      rendered++;
    } catch (err) {
      assert.ok(isConfdError(err), `non-ConfdError for ${JSON.stringify(source)}: ${String(err)}`);
      assert.match(err.message, /^template: fuzz\.tmpl/, JSON.stringify(source));
      failed++;
    }
  }
  for (const source of corpus) {
    assert.doesNotThrow(() => goTemplateEngine.compile(source, 'c').render(context), source);
  }
  assert.ok(rendered > 20 && failed > 20, `rendered ${rendered}, failed ${failed}`);
});

function keysFor(n: number): Map<string, string> {
  const keys = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    keys.set(`/upstream/host${String(i).padStart(6, '0')}`, `10.0.${i % 256}.${i % 100}:8080`);
  }
  return keys;
}

// The speed goal (Go engine within 1.5x of handlebars) lives in bench/template-engines.bench.ts;
// here both engines must agree on the output over the same large data set.
test('the iteration template renders the same in both engines on 1,000 and 10,000 keys', () => {
  const go = goTemplateEngine.compile(
    '{{range gets "/upstream/*"}}server {{.Value}};\n{{end}}',
    'iteration.tmpl',
  );
  const hb = handlebarsEngine.compile(
    '{{#each (gets "/upstream/*")}}server {{this.Value}};\n{{/each}}',
    'iteration.tmpl',
  );
  for (const n of [1000, 10000]) {
    const ctx: RenderContext = { keys: keysFor(n), env: {}, now: () => 0 };
    const output = go.render(ctx).output;
    assert.equal(output.split('\n').length, n + 1);
    assert.equal(output, hb.render(ctx).output);
  }
});
