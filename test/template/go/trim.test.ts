/**
 * Trim markers `{{- ` and ` -}}`: Go removes all ASCII white space (space, tab, CR, LF) before or
 * after the action, only when the dash is separated from the delimiter content by a space.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from './render-helper.js';

const cases: [string, string][] = [
  ['a  {{- "b" -}}  c', 'abc'],
  ['a\n\t {{- "b"}}', 'ab'],
  ['{{"b" -}}\n\n  c', 'bc'],
  ['a {{-3}}', 'a -3'],
  ['a {{- 3}}', 'a3'],
  ['a {{3 -}} b', 'a 3b'],
  ['a {{- 3 -}} b', 'a3b'],
  ['a\r\n{{- "b"}}', 'ab'],
  ['a \n{{- /* c */ -}}\n b', 'ab'],
  ['a {{/* c */ -}} b', 'a b'],
  ['a {{- /* c */}} b', 'a b'],
  ['{{ if true -}}\n  x\n{{- end }}', 'x'],
  ['{{- "x" -}}', 'x'],
  ['  \n  {{- range list}}\n  {{.}}{{end}}', '\n  a\n  b'],
  ['{{range list -}}\n  {{.}}\n{{- end}}', 'ab'],
  ['a\u00a0{{- "b"}}', 'a\u00a0b'],
  ['a {{-\t"b"\t-}} c', 'abc'],
  ['a {{-\n"b"\n-}} c', 'abc'],
];

test('trim markers remove the white space Go removes, and nothing else', () => {
  for (const [source, want] of cases) {
    assert.equal(render(source), want, `template ${JSON.stringify(source)}`);
  }
});

test('a trim marker needs the space: "{{-3}}" is the number -3', () => {
  assert.equal(render('x {{-3}} y'), 'x -3 y');
  assert.equal(render('x {{3 -}}y'), 'x 3y');
});
