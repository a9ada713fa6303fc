/**
 * Go's strconv.FormatFloat for float64 (`'e' 'E' 'f' 'g' 'G' 'b'`, shortest or fixed precision),
 * with exact decimal expansion and round-half-even, so `%.2f` and `%v` print as Go prints them.
 * `formatFloat(x, 'g', -1)` is Go's `%v` of a float64; `formatFloat(x, 'f', -1)` never uses an
 * exponent (how confd's file backend prints YAML numbers).
 */

/** Decimal digits `d` (no trailing zeros) with the decimal point at `dp`: value = 0.d × 10^dp. */
interface Digits {
  d: string;
  dp: number;
}

function floatBits(x: number): { mant: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (expBits === 0) {
    exp = -1074;
  } else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  return { mant, exp };
}

/** exactDigits is the exact decimal expansion of a positive finite float. */
function exactDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const { mant, exp } = floatBits(x);
  let s: string;
  let dp: number;
  if (exp >= 0) {
    s = (mant << BigInt(exp)).toString();
    dp = s.length;
  } else {
    s = (mant * 5n ** BigInt(-exp)).toString();
    dp = s.length + exp;
  }
  return { d: s.replace(/0+$/, ''), dp };
}

/** shortestDigits is the shortest decimal that reads back as x (what Go's 'g' -1 uses). */
function shortestDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const [mantissa = '', expText = '0'] = x.toExponential().split('e');
  const d = mantissa.replace('.', '').replace(/0+$/, '');
  return { d, dp: Number(expText) + 1 };
}

/** roundDigits keeps `nd` significant digits, rounding half to even on the exact value. */
function roundDigits(v: Digits, nd: number): Digits {
  if (nd < 0 || nd >= v.d.length) return v;
  const digit = v.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (digit === 5 && nd + 1 === v.d.length) {
    up = nd > 0 && (v.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  } else {
    up = digit >= 5;
  }
  if (!up) return { d: v.d.slice(0, nd).replace(/0+$/, ''), dp: v.dp };
  let i = nd - 1;
  while (i >= 0 && v.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: v.dp + 1 };
  return { d: v.d.slice(0, i) + String.fromCharCode(v.d.charCodeAt(i) + 1), dp: v.dp };
}

function fmtE(v: Digits, prec: number, e: string): string {
  let s = v.d.length === 0 ? '0' : v.d[0];
  if (prec > 0) {
    s += '.';
    const frac = v.d.slice(1, 1 + prec);
    s += frac + '0'.repeat(prec - frac.length);
  }
  const exp = v.d.length === 0 ? 0 : v.dp - 1;
  const a = Math.abs(exp);
  return `${s}${e}${exp < 0 ? '-' : '+'}${a < 10 ? '0' : ''}${a}`;
}

function fmtF(v: Digits, prec: number): string {
  let s: string;
  if (v.dp > 0) {
    const intPart = v.d.slice(0, v.dp);
    s = intPart + '0'.repeat(v.dp - intPart.length);
  } else {
    s = '0';
  }
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) {
      const j = v.dp + i - 1;
      s += j >= 0 && j < v.d.length ? v.d[j] : '0';
    }
  }
  return s;
}

/**
 * formatFloat is strconv.FormatFloat(x, fmt, prec, 64): `prec` -1 means the shortest
 * representation that round-trips.
 */
export function formatFloat(x: number, fmt: string, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const sign = neg ? '-' : '';
  const ax = Math.abs(x);
  if (fmt === 'b') {
    const { mant, exp } = floatBits(ax);
    return `${sign}${mant}p${exp >= 0 ? '+' : ''}${exp}`;
  }
  const shortest = prec < 0;
  let v: Digits;
  if (shortest) {
    v = shortestDigits(ax);
  } else {
    const exact = exactDigits(ax);
    switch (fmt) {
      case 'e':
      case 'E':
        v = roundDigits(exact, prec + 1);
        break;
      case 'f':
        v = roundDigits(exact, exact.dp + prec);
        break;
      default:
        v = roundDigits(exact, prec === 0 ? 1 : prec);
        if (prec === 0) prec = 1;
    }
  }
  switch (fmt) {
    case 'e':
    case 'E':
      return sign + fmtE(v, shortest ? Math.max(v.d.length - 1, 0) : prec, fmt);
    case 'f':
      return sign + fmtF(v, shortest ? Math.max(v.d.length - v.dp, 0) : prec);
    default: {
      // 'g' / 'G'
      const nd = v.d.length;
      let eprec = shortest ? 6 : prec;
      if (!shortest && eprec > nd && nd >= v.dp) eprec = nd;
      let p = shortest ? nd : prec;
      const exp = v.dp - 1;
      if (nd !== 0 && (exp < -4 || exp >= eprec)) {
        if (p > nd) p = nd;
        return sign + fmtE(v, Math.max(p - 1, 0), fmt === 'G' ? 'E' : 'e');
      }
      if (p > v.dp) p = nd;
      return sign + fmtF(v, Math.max(p - v.dp, 0));
    }
  }
}
