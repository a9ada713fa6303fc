/** Go's `encoding/base64` standard decoding, with Go's error offsets. */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * decodeBase64Std is Go's `base64.StdEncoding.DecodeString`: standard alphabet, padding required,
 * CR/LF skipped; anything else throws Go's `illegal base64 data at input byte N` (N counted in the
 * input as given). `Buffer.from(s, 'base64')` would silently skip bad characters instead.
 */
export function decodeBase64Std(data: string): Buffer {
  const src = Buffer.from(data, 'utf8');
  const out: number[] = [];
  let si = 0;
  const corrupt = (at: number) => new Error(`illegal base64 data at input byte ${at}`);
  const isNewline = (c: number | undefined) => c === 0x0a || c === 0x0d;
  for (;;) {
    const quantum = [0, 0, 0, 0];
    let dlen = 4;
    let j = 0;
    while (j < 4) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out);
        throw corrupt(si - j);
      }
      const c = src[si];
      si += 1;
      if (isNewline(c)) continue;
      const v = c < 0x80 ? B64.indexOf(String.fromCharCode(c)) : -1;
      if (v >= 0) {
        quantum[j] = v;
        j += 1;
        continue;
      }
      if (c !== 0x3d) throw corrupt(si - 1);
      // Padding: only valid as the 3rd/4th character of a quantum, and only at the end.
      if (j < 2) throw corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si += 1;
        if (si === src.length) throw corrupt(src.length);
        if (src[si] !== 0x3d) throw corrupt(si - 1);
        si += 1;
      }
      while (si < src.length && isNewline(src[si])) si += 1;
      if (si < src.length) throw corrupt(si);
      dlen = j;
      break;
    }
    const word = (quantum[0] << 18) | (quantum[1] << 12) | (quantum[2] << 6) | quantum[3];
    out.push((word >> 16) & 0xff);
    if (dlen >= 3) out.push((word >> 8) & 0xff);
    if (dlen === 4) out.push(word & 0xff);
    if (dlen < 4) return Buffer.from(out);
  }
}
