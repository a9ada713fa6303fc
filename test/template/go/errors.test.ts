/**
 * Error texts of the Go engine: parse errors (`template: name:line: ...`) and execution errors
 * (`template: name:line:col: executing "name" at <node>: ...`), exactly as Go prints them, with
 * their ConfdError codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/errors.js';
import { renderError } from './render-helper.js';

function expectErrors(code: string, cases: [string, string][]): void {
  for (const [source, want] of cases) {
    const got = renderError(source);
    assert.equal(got.message, want, `template ${JSON.stringify(source)}`);
    assert.equal(got.code, code, `code of ${JSON.stringify(source)}`);
  }
}

test('parse errors name the file and line', () => {
  expectErrors(ErrorCode.TEMPLATE_PARSE, [
    ['{{nope}}', 'template: t:1: function "nope" not defined'],
    ['{{if true}}', 'template: t:1: unexpected EOF'],
    ['a\n{{range list}}\n', 'template: t:3: unexpected EOF'],
    ['{{end}}', 'template: t:1: unexpected {{end}}'],
    ['{{else}}', 'template: t:1: unexpected {{else}}'],
    ['{{$x}}', 'template: t:1: undefined variable "$x"'],
    ['{{$x := 1}}{{define "T"}}{{$x}}{{end}}', 'template: t:1: undefined variable "$x"'],
    ['{{if 1}}{{$y := 2}}{{end}}{{$y}}', 'template: t:1: undefined variable "$y"'],
    ['a\n{{ "x" \n', 'template: t:3: unclosed action started at t:2'],
    ['{{ echo\n"/x"', 'template: t:2: unclosed action started at t:1'],
    ['{{ echo "/x"', 'template: t:1: unclosed action'],
    ['{{.a}x}}', 'template: t:1: unexpected "}" in operand'],
    ['{{(1}}', 'template: t:1: unclosed left paren'],
    ['{{)}}', 'template: t:1: unexpected ")" in command'],
    ['{{1 | 2}}', 'template: t:1: non executable command in pipeline stage 2'],
    ['{{}}', 'template: t:1: missing value for command'],
    ['{{range}}{{end}}', 'template: t:1: missing value for range'],
    ['x\n\n{{if}}', 'template: t:3: missing value for if'],
    ['{{"unterminated}}', 'template: t:1: unterminated quoted string'],
    ['{{`raw', 'template: t:1: unterminated raw quoted string'],
    ["{{'a}}", 'template: t:1: unterminated character constant'],
    ['{{/* x }}', 'template: t:1: unclosed comment'],
    ['{{/* x */ }}', 'template: t:1: comment ends before closing delimiter'],
    ['{{break}}', 'template: t:1: {{break}} outside {{range}}'],
    ['{{continue}}', 'template: t:1: {{continue}} outside {{range}}'],
    [
      '{{define "a"}}x{{end}}{{define "a"}}y{{end}}',
      'template: t:1: template: multiple definition of template "a"',
    ],
    ['{{3x}}', 'template: t:1: bad number syntax: "3x"'],
    ['{{0x}}', 'template: t:1: illegal number syntax: "0x"'],
    ['{{99999999999999999999}}', 'template: t:1: integer overflow: "99999999999999999999"'],
    ['{{.a#}}', "template: t:1: bad character U+0023 '#'"],
    ['{{template .}}', 'template: t:1: unexpected <.> in template clause'],
    ['{{if 1}}{{else}}{{else}}{{end}}', 'template: t:1: expected end; found {{else}}'],
    ['{{with 1}}{{else if 2}}{{end}}', 'template: t:1: unexpected <if> in input'],
    ['{{range $i, $j, $k := list}}{{end}}', 'template: t:1: too many declarations in range'],
    ['{{range $i, 1}}{{end}}', 'template: t:1: range can only initialize variables'],
    ['{{with $x, $y := 1}}{{end}}', 'template: t:1: too many declarations in with'],
    ['{{"a".b}}', 'template: t:1: unexpected . after term "\\"a\\""'],
    ['{{"\\q"}}', 'template: t:1: invalid syntax'],
    ["{{'ab'}}", "template: t:1: malformed character constant: 'ab'"],
    [
      '{{define "x" "abcdefghijklmnop"}}',
      'template: t:1: unexpected "\\"abcdefghi"... in define clause',
    ],
    ['{{.a "b" )}}', 'template: t:1: unexpected ")" in command'],
    ['{{:}}', 'template: t:1: expected :='],
    ['{{\u00a0}}', 'template: t:1: unrecognized character in action: U+00A0'],
    ['one\n{{block "b" .}}x{{else}}y{{end}}', 'template: t:2: unexpected {{else}} in block clause'],
  ]);
});

// Go quirk: after evaluating the term of a chain (`kv.Nope`), the error context stays on the
// term's node (`<kv>`), because Go's evalChainNode does not move its error position back.
test('execution errors carry line, byte column, template name and the node', () => {
  expectErrors(ErrorCode.TEMPLATE_EXEC, [
    ['{{fail}}', 'template: t:1:2: executing "t" at <fail>: error calling fail: boom'],
    ['line1\n  {{fail 1}}', 'template: t:2:4: executing "t" at <fail 1>: error calling fail: boom'],
    ['é{{fail}}', 'template: t:1:4: executing "t" at <fail>: error calling fail: boom'],
    [
      '{{define "T"}}\n{{fail}}{{end}}{{template "T"}}',
      'template: t:2:2: executing "T" at <fail>: error calling fail: boom',
    ],
    [
      '{{index list 5}}',
      'template: t:1:2: executing "t" at <index list 5>: error calling index: index out of range: 5',
    ],
    ['{{1 2}}', 'template: t:1:2: executing "t" at <1>: can\'t give argument to non-function 1'],
    [
      '{{(1) 2}}',
      'template: t:1:2: executing "t" at <(1) 2>: can\'t give argument to non-function 1',
    ],
    [
      '{{kv.Nope}}',
      'template: t:1:2: executing "t" at <kv>: can\'t evaluate field Nope in type memkv.KVPair',
    ],
    [
      '{{kv.Key.X}}',
      'template: t:1:2: executing "t" at <kv>: can\'t evaluate field X in type string',
    ],
    [
      '{{$x := 1}}{{$x.Foo}}',
      'template: t:1:15: executing "t" at <$x.Foo>: can\'t evaluate field Foo in type int',
    ],
    [
      '{{kv.Key 1}}',
      'template: t:1:2: executing "t" at <kv>: Key has arguments but cannot be invoked as function',
    ],
    ['{{m.a 1}}', 'template: t:1:2: executing "t" at <m>: a is not a method but has arguments'],
    [
      '{{nilv.X}}',
      'template: t:1:2: executing "t" at <nilv>: nil pointer evaluating interface {}.X',
    ],
    [
      '{{template "nope"}}',
      'template: t:1:11: executing "t" at <{{template "nope"}}>: template "nope" not defined',
    ],
    [
      '{{range 1.5}}{{end}}',
      'template: t:1:8: executing "t" at <1.5>: range can\'t iterate over 1.5',
    ],
    [
      '{{range "ab"}}{{end}}',
      'template: t:1:8: executing "t" at <"ab">: range can\'t iterate over ab',
    ],
    ['{{printf 1}}', 'template: t:1:9: executing "t" at <1>: expected string; found 1'],
    [
      '{{printf list}}',
      'template: t:1:9: executing "t" at <list>: wrong type for value; expected string; got []string',
    ],
    [
      '{{and}}',
      'template: t:1:2: executing "t" at <and>: wrong number of args for and: want at least 1 got 0',
    ],
    [
      '{{not 1 2}}',
      'template: t:1:2: executing "t" at <not>: wrong number of args for not: want 1 got 2',
    ],
    [
      '{{eq 1 "a"}}',
      'template: t:1:2: executing "t" at <eq 1 "a">: error calling eq: incompatible types for comparison',
    ],
    [
      '{{lt true false}}',
      'template: t:1:2: executing "t" at <lt true false>: error calling lt: invalid type for comparison',
    ],
    ['{{len 3}}', 'template: t:1:2: executing "t" at <len 3>: error calling len: len of type int'],
    [
      '{{index 1 1}}',
      'template: t:1:2: executing "t" at <index 1 1>: error calling index: can\'t index item of type int',
    ],
    [
      '{{slice "abc" 2 1}}',
      'template: t:1:2: executing "t" at <slice "abc" 2 1>: error calling slice: invalid slice index: 2 > 1',
    ],
    ['{{nil}}', 'template: t:1:2: executing "t" at <nil>: nil is not a command'],
    [
      'a\n{{ if\n  fail }}x{{end}}',
      'template: t:3:2: executing "t" at <fail>: error calling fail: boom',
    ],
    ['{{$x = 1}}', 'template: t:1:7: executing "t" at <1>: undefined variable: $x'],
    [
      '{{range list}}{{template "T" .}}{{end}}{{define "T"}}{{index . 3}}{{end}}',
      'template: t:1:55: executing "T" at <index . 3>: error calling index: index out of range: 3',
    ],
    [
      '{{call list}}',
      'template: t:1:2: executing "t" at <call list>: error calling call: non-function of type []string',
    ],
  ]);
});
