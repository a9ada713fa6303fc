/**
 * Actions, constants, variables, fields, pipelines and builtins of the Go engine, executed with
 * nil data as confd does. Each expected string is what Go's text/template renders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from './render-helper.js';

function table(cases: [string, string][]): void {
  for (const [source, want] of cases) {
    assert.equal(render(source), want, `template ${JSON.stringify(source)}`);
  }
}

test('nil data: dot, $ and fields of nil print <no value>', () => {
  table([
    ['{{.}}', '<no value>'],
    ['{{$}}', '<no value>'],
    ['{{.Foo}}', '<no value>'],
    ['{{.Foo.Bar}}', '<no value>'],
    ['a{{/* a comment */}}b', 'ab'],
    ['plain text only\n', 'plain text only\n'],
    ['', ''],
  ]);
});

test('constants are lexed and printed as Go does', () => {
  table([
    ['{{"hello"}}', 'hello'],
    ['{{"a\\tb\\u00e9\\x41"}}', 'a\tbéA'],
    ['{{`raw\\n`}}', 'raw\\n'],
    ['{{1}} {{-1}} {{+2}} {{1.5}} {{1e3}} {{1.0}}', '1 -1 2 1.5 1000 1'],
    ['{{0x10}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{0x1p4}}', '16 15 15 5 1000 16'],
    ["{{'a'}} {{'\\n'}} {{'é'}}", '97 10 233'],
    ['{{true}} {{false}}', 'true false'],
    ['{{1e6}} {{123456789.0}} {{123456.0}} {{0.000001}}', '1e+06 1.23456789e+08 123456 1e-06'],
  ]);
});

test('if / else if / else follow Go truthiness', () => {
  const truth: [string, string][] = [
    ['""', 'F'],
    ['"a"', 'T'],
    ['0', 'F'],
    ['1', 'T'],
    ['-1', 'T'],
    ['0.0', 'F'],
    ['0.5', 'T'],
    ['false', 'F'],
    ['true', 'T'],
    ['.', 'F'],
    ['.Missing', 'F'],
    ['emptyList', 'F'],
    ['list', 'T'],
    ['emptyMap', 'F'],
    ['m', 'T'],
    ['kv', 'T'],
    ['nilv', 'F'],
  ];
  table(truth.map(([v, want]) => [`{{if ${v}}}T{{else}}F{{end}}`, want]));
  table([
    ['{{if ""}}a{{else if 0}}b{{else if "x"}}c{{else}}d{{end}}', 'c'],
    ['{{if 0}}a{{else if 0}}b{{end}}', ''],
    ['{{if 1}}{{if 0}}a{{else}}b{{end}}{{end}}', 'b'],
  ]);
});

test('range over slices, maps in sorted key order, ints, with else, break and continue', () => {
  table([
    ['{{range list}}[{{.}}]{{end}}', '[a][b]'],
    ['{{range $i, $e := list}}{{$i}}:{{$e}},{{end}}', '0:a,1:b,'],
    ['{{range $e := list}}{{$e}}{{end}}', 'ab'],
    ['{{range emptyList}}x{{else}}empty{{end}}', 'empty'],
    ['{{range .}}x{{else}}nil{{end}}', 'nil'],
    ['{{range m}}{{.}}{{end}}', '12'],
    ['{{range $k, $v := m}}{{$k}}={{$v}};{{end}}', 'a=1;b=2;'],
    ['{{range emptyMap}}x{{else}}none{{end}}', 'none'],
    ['{{range kvs}}{{.Key}}={{.Value}} {{end}}', '/a=1 /b=2 '],
    ['{{range 3}}{{.}}{{end}}', '012'],
    ['{{range $i := 2}}<{{$i}}>{{end}}', '<0><1>'],
    ['{{range 0}}x{{else}}zero{{end}}', 'zero'],
    ['{{range ints}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}', '13'],
    ['{{range ints}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}', '1'],
    ['{{range list}}{{range ints}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}{{.}}{{end}}', '1a1b'],
    ['{{range $i, $e := list}}{{$x := $i}}{{$x}}{{end}}', '01'],
    ['{{$v := 0}}{{range $v = ints}}{{end}}{{$v}}', '3'],
  ]);
});

test('with sets dot; else and else with', () => {
  table([
    ['{{with "x"}}{{.}}{{end}}', 'x'],
    ['{{with ""}}x{{else}}y{{end}}', 'y'],
    ['{{with $v := list}}{{len $v}}{{end}}', '2'],
    ['{{with 0}}a{{else with "b"}}{{.}}{{end}}', 'b'],
    ['{{with 0}}a{{else with ""}}b{{else}}c{{end}}', 'c'],
    ['{{with kv}}{{.Key}}{{end}}', '/k'],
  ]);
});

test('variables: declaration, assignment, scoping to the enclosing control', () => {
  table([
    ['{{$x := "a"}}{{$x}}', 'a'],
    ['{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}', '21'],
    ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
    ['{{$x := 1}}{{range list}}{{$x = .}}{{end}}{{$x}}', 'b'],
    ['{{$ := 5}}{{$}}', '5'],
    ['{{$a := kv}}{{$a.Key}} {{$a.Value}}', '/k v'],
    ['{{$m := m}}{{$m.a}}', '1'],
  ]);
});

test('define, template and block; templates see only their own dot', () => {
  table([
    ['{{define "T"}}<{{.}}>{{end}}{{template "T" "v"}}', '<v>'],
    ['{{template "T"}}{{define "T"}}x{{.}}{{end}}', 'x<no value>'],
    ['{{block "B" "d"}}[{{.}}]{{end}}', '[d]'],
    [
      '{{define "A"}}a{{template "B" .}}{{end}}{{define "B"}}b{{.}}{{end}}{{template "A" 1}}',
      'ab1',
    ],
    ['{{define "T"}}{{$}}{{end}}{{template "T" list}}', '[a b]'],
    ['{{define "T"}}{{range .}}{{.}}{{end}}{{end}}{{template "T" ints}}', '123'],
    ['before{{define "T"}}x{{end}}after', 'beforeafter'],
  ]);
});

test('pipelines pass the previous value as the last argument; parentheses group', () => {
  table([
    ['{{"a" | printf "%s-%s" "b"}}', 'b-a'],
    ['{{list | len}}', '2'],
    ['{{(len list)}}', '2'],
    ['{{len (list)}}', '2'],
    ['{{"x" | printf "%q" | printf "%s!"}}', '"x"!'],
    ['{{(kv).Value}}', 'v'],
    ['{{kv.Key}}', '/k'],
    ['{{(m).b}}', '2'],
    ['{{m.zz}}', '<no value>'],
    ['{{index m "zz"}}', '<no value>'],
    ['{{nilv}}', '<no value>'],
    ['{{print nilv}}', '<nil>'],
    ['{{print .Missing}}', '<nil>'],
    ['{{echo 1 "a" | len}}', '2'],
  ]);
});

test('and / or short-circuit and return the deciding value', () => {
  table([
    ['{{and 1 0 2}}', '0'],
    ['{{and 1 2}}', '2'],
    ['{{or 0 "" "x" "y"}}', 'x'],
    ['{{or 0 ""}}', ''],
    ['{{and 0 fail}}', '0'],
    ['{{or 1 fail}}', '1'],
    ['{{"x" | and 1}}', 'x'],
    ['{{0 | or ""}}', '0'],
    ['{{not 0}} {{not "a"}} {{not emptyList}}', 'true false true'],
  ]);
});

test('len, index and slice', () => {
  table([
    ['{{len "héllo"}} {{len list}} {{len m}} {{len emptyMap}}', '6 2 2 0'],
    ['{{index list 1}} {{index m "a"}} {{index "abc" 1}}', 'b 1 98'],
    ['{{index kvs 1 | printf "%v"}}', '{/b 2}'],
    ['{{slice "abcdef" 1 3}}|{{slice "abc"}}|{{slice "abc" 1}}', 'bc|abc|bc'],
    ['{{slice list 1}} {{slice ints 0 2}}', '[b] [1 2]'],
  ]);
});

test('print, printf, println, html, js, urlquery', () => {
  table([
    ['{{print "a" 1 2 "b"}}', 'a1 2b'],
    ['{{println "a" 1}}', 'a 1\n'],
    ['{{printf "%d-%s" 5 "x"}}', '5-x'],
    ['{{printf "%5.2f|%v" 3.14159 list}}', ' 3.14|[a b]'],
    ['{{printf "%d"}}', '%!d(MISSING)'],
    ['{{printf "%v" m}}', 'map[a:1 b:2]'],
    ['{{html "<a href=\\"x\\">&\'"}}', '&lt;a href=&#34;x&#34;&gt;&amp;&#39;'],
    ['{{html 1 2}}', '1 2'],
    ['{{js "a\'b\\"c<>&=\\\\"}}', 'a\\\'b\\"c\\u003C\\u003E\\u0026\\u003D\\\\'],
    ['{{js "line\\nnext"}}', 'line\\u000Anext'],
    ['{{urlquery "a b&c=d/é~"}}', 'a+b%26c%3Dd%2F%C3%A9~'],
    ['{{"<x>" | html}}', '&lt;x&gt;'],
  ]);
});

test('eq (multi-argument), ne, lt, le, gt, ge and call', () => {
  table([
    ['{{eq 1 1}} {{eq 1 2}} {{eq "a" "b" "a"}} {{eq 1 2 3}}', 'true false true false'],
    ['{{ne 1 2}} {{ne "a" "a"}}', 'true false'],
    ['{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', 'true true true false'],
    ['{{lt 1.5 2.5}} {{gt "ab" "a"}}', 'true true'],
    ['{{eq .Missing "a"}} {{eq .Missing nil}}', 'false true'],
    ['{{eq kv kv}}', 'true'],
    ['{{call fnv "x"}}', 'called x'],
  ]);
});
