/**
 * Printable escaping of captured bytes, for rule fields and reports: printable ASCII stays as is
 * (backslash doubled), \n \r \t are written so, every other byte as \xNN. Linear, bounded by the
 * caller's cap; the result is at most 4× the input.
 */
export function escapeBytes(bytes: Uint8Array, max = bytes.length): string {
  const n = Math.min(bytes.length, max);
  let out = '';
  let run = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b >= 0x20 && b < 0x7f && b !== 0x5c) {
      run++;
      continue;
    }
    if (run > 0) {
      out += latin1(bytes, i - run, i);
      run = 0;
    }
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else out += `\\x${b < 16 ? '0' : ''}${b.toString(16)}`;
  }
  if (run > 0) out += latin1(bytes, n - run, n);
  return out;
}

function latin1(bytes: Uint8Array, from: number, to: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
}

/** Escapes a string that came from hostile input (control characters, very long values) for display. */
export function escapeText(s: string, max = 1024): string {
  return escapeBytes(Buffer.from(s.length > max * 4 ? s.slice(0, max * 4) : s, 'utf8'), max);
}
