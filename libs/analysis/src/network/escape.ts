/**
 * Printable escaping of captured bytes, for rule fields and reports: printable ASCII stays as is
 * (backslash doubled), \n \r \t are written so, every other byte as \xNN. Linear, bounded by the
 * caller's cap; the result is at most 4× the input.
 */
const HEX = '0123456789abcdef';

export function escapeBytes(bytes: Uint8Array, max = bytes.length): string {
  const n = Math.min(bytes.length, max);
  // One output buffer (at most 4 bytes per input byte), decoded once: no per-byte strings.
  const out = Buffer.allocUnsafe(n * 4);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b >= 0x20 && b < 0x7f && b !== 0x5c) {
      out[j++] = b;
      continue;
    }
    out[j++] = 0x5c;
    if (b === 0x5c) out[j++] = 0x5c;
    else if (b === 0x0a) out[j++] = 0x6e;
    else if (b === 0x0d) out[j++] = 0x72;
    else if (b === 0x09) out[j++] = 0x74;
    else {
      out[j++] = 0x78;
      out[j++] = HEX.charCodeAt(b >> 4);
      out[j++] = HEX.charCodeAt(b & 15);
    }
  }
  return out.toString('latin1', 0, j);
}

/** Escapes a string that came from hostile input (control characters, very long values) for display. */
export function escapeText(s: string, max = 1024): string {
  return escapeBytes(Buffer.from(s.length > max * 4 ? s.slice(0, max * 4) : s, 'utf8'), max);
}
