/**
 * Go's fmt as the Go engine implements it: printf verbs, flags, width and precision, bad-verb
 * and missing/extra argument texts, and `%v` printing of values. Expected strings are what Go's
 * fmt prints for the same values (float64 values are GoFloat, ints are JS integers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sprint, sprintf, sprintln } from '../../../src/template/go/index.js';
import { GoFloat, KVPair } from '../../../src/template/values.js';

const f = (n: number): GoFloat => new GoFloat(n);

const printfCases: [string, unknown[], string][] = [
  // integers
  ['%d', [42], '42'],
  ['%5d', [42], '   42'],
  ['%-5d|', [42], '42   |'],
  ['%05d', [-42], '-0042'],
  ['%+d', [5], '+5'],
  ['% d', [5], ' 5'],
  ['%.3d', [7], '007'],
  ['%.0d', [0], ''],
  ['%5.0d|', [0], '     |'],
  ['%x', [255], 'ff'],
  ['%X', [255], 'FF'],
  ['%#x', [255], '0xff'],
  ['%#X', [255], '0XFF'],
  ['%#08x', [255], '0x000000ff'],
  ['%x', [-255], '-ff'],
  ['%o', [8], '10'],
  ['%#o', [8], '010'],
  ['%O', [8], '0o10'],
  ['%b', [5], '101'],
  ['%c', [65], 'A'],
  ['%c', [0x1f600], '😀'],
  ['%q', [65], "'A'"],
  ['%U', [0x1f600], 'U+1F600'],
  ['%#U', [65], "U+0041 'A'"],
  ['%v', [-7], '-7'],
  // strings
  ['%s', ['abc'], 'abc'],
  ['%.2s', ['abc'], 'ab'],
  ['%.1s', ['héllo'], 'h'],
  ['%5s', ['abc'], '  abc'],
  ['%-5s|', ['abc'], 'abc  |'],
  ['%05s', ['ab'], '000ab'],
  ['%10.3v|', ['abcdef'], '       abc|'],
  ['%q', ['a"b'], '"a\\"b"'],
  ['%q', ['\n\t'], '"\\n\\t"'],
  ['%+q', ['é'], '"\\u00e9"'],
  ['%#q', ['abc'], '`abc`'],
  ['%x', ['hi'], '6869'],
  ['%X', ['hi'], '6869'],
  ['% x', ['hi'], '68 69'],
  ['%#x', ['hi'], '0x6869'],
  // booleans
  ['%t', [true], 'true'],
  ['%v', [false], 'false'],
  // floats
  ['%f', [f(3.14159)], '3.141590'],
  ['%.2f', [f(3.14159)], '3.14'],
  ['%5.1f', [f(3.14159)], '  3.1'],
  ['%05.2f', [f(3.14159)], '03.14'],
  ['%08.3f', [f(-3.14159)], '-003.142'],
  ['%+.1f', [f(2)], '+2.0'],
  ['% .1f', [f(2)], ' 2.0'],
  ['%6.2f|', [f(3.14159)], '  3.14|'],
  ['%-8.2f|', [f(3.14159)], '3.14    |'],
  ['%.0f', [f(2.5)], '2'],
  ['%.0f', [f(3.5)], '4'],
  ['%.2f', [f(1.005)], '1.00'],
  ['%.1f', [f(0.25)], '0.2'],
  ['%.2f', [f(0.009)], '0.01'],
  ['%.2f', [f(0.0009)], '0.00'],
  ['%f', [f(1e21)], '1000000000000000000000.000000'],
  ['%e', [f(1234.5678)], '1.234568e+03'],
  ['%E', [f(1234.5678)], '1.234568E+03'],
  ['%.2e', [f(0)], '0.00e+00'],
  ['%e', [f(1e-10)], '1.000000e-10'],
  ['%g', [f(1234.5678)], '1234.5678'],
  ['%g', [f(1e21)], '1e+21'],
  ['%G', [f(1e-7)], '1E-07'],
  ['%.3g', [f(1234.5678)], '1.23e+03'],
  ['%.3g', [f(0.5)], '0.5'],
  ['%.10g', [f(100)], '100'],
  ['%g', [f(100000)], '100000'],
  ['%g', [f(1000000)], '1e+06'],
  ['%v', [f(1e6)], '1e+06'],
  ['%v', [f(2.5)], '2.5'],
  ['%v', [f(123456789)], '1.23456789e+08'],
  ['%v', [f(123456)], '123456'],
  ['%v', [f(1e-5)], '1e-05'],
  ['%v', [f(0.0001)], '0.0001'],
  ['%v', [f(-0.5)], '-0.5'],
  ['%v', [f(0)], '0'],
  ['%v', [f(Infinity)], '+Inf'],
  ['%v', [f(-Infinity)], '-Inf'],
  ['%v', [f(NaN)], 'NaN'],
  ['%5.1f|', [f(Infinity)], ' +Inf|'],
  ['%v', [f(0.1 + 0.2)], '0.30000000000000004'],
  ['%b', [f(1)], '4503599627370496p-52'],
  // composite values
  ['%v', [['a', 'b']], '[a b]'],
  ['%q', [['a', 'b']], '["a" "b"]'],
  ['%d', [[1, 2]], '[1 2]'],
  ['%d', [['a']], '[%!d(string=a)]'],
  ['%v', [[1, null]], '[1 <nil>]'],
  ['%v', [{ b: 2, a: 'x' }], 'map[a:x b:2]'],
  ['%v', [{ a: { c: [f(1e6)] } }], 'map[a:map[c:[1e+06]]]'],
  ['%v', [new KVPair('/k', 'v')], '{/k v}'],
  ['%+v', [new KVPair('/k', 'v')], '{Key:/k Value:v}'],
  ['%v', [[new KVPair('/a', '1'), new KVPair('/b', '2')]], '[{/a 1} {/b 2}]'],
  ['%s', [new KVPair('/k', 'v')], '{/k v}'],
  ['%v', [[]], '[]'],
  ['%v', [{}], 'map[]'],
  // types
  ['%T', ['x'], 'string'],
  ['%T', [5], 'int'],
  ['%T', [f(1)], 'float64'],
  ['%T', [true], 'bool'],
  ['%T', [['a']], '[]string'],
  ['%T', [{ a: 1 }], 'map[string]interface {}'],
  ['%T', [new KVPair('/k', 'v')], 'memkv.KVPair'],
  // errors
  ['%d', ['x'], '%!d(string=x)'],
  ['%s', [5], '%!s(int=5)'],
  ['%t', [5], '%!t(int=5)'],
  ['%f', [5], '%!f(int=5)'],
  ['%d', [f(2.5)], '%!d(float64=2.5)'],
  ['%z', [5], '%!z(int=5)'],
  ['%d', [null], '%!d(<nil>)'],
  ['%v', [null], '<nil>'],
  ['%s', [null], '%!s(<nil>)'],
  ['%d %d', [1], '1 %!d(MISSING)'],
  ['%v', [], '%!v(MISSING)'],
  ['%d', [1, 2], '1%!(EXTRA int=2)'],
  ['%d', [1, 'a', null], '1%!(EXTRA string=a, <nil>)'],
  ['x', [f(1.5)], 'x%!(EXTRA float64=1.5)'],
  ['%', [], '%!(NOVERB)'],
  ['%%', [], '%'],
  ['%5%', [], '%'],
  ['%[2]d %[1]d', [1, 2], '2 1'],
  ['%[3]d', [1, 2], '%!d(BADINDEX)'],
  ['%*d', [5, 42], '   42'],
  ['%-*d|', [5, 42], '42   |'],
  ['%.*f', [2, f(3.14159)], '3.14'],
  ['%*d', ['x', 42], '%!(BADWIDTH)42'],
  ['%5d', ['x'], '%!d(string=    x)'],
];

test('printf formats every verb, flag, width and precision as Go does', () => {
  for (const [format, args, want] of printfCases) {
    assert.equal(sprintf(format, args), want, `Sprintf(${JSON.stringify(format)})`);
  }
});

test('print adds spaces only between two non-string operands; println always', () => {
  assert.equal(sprint([1, 2, 'a', 'b', 3]), '1 2ab3');
  assert.equal(sprint(['a', 1, 'b']), 'a1b');
  assert.equal(sprint([1, 2]), '1 2');
  assert.equal(sprint([null]), '<nil>');
  assert.equal(sprint([f(1e6), true]), '1e+06 true');
  assert.equal(sprintln(['a', 1]), 'a 1\n');
  assert.equal(sprintln([]), '\n');
});
