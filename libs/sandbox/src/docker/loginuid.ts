/**
 * `/proc/<pid>/loginuid` text → the audit login uid (4294967295 when unset, as the kernel prints
 * it; rules normalise it to -1), or undefined when the file was missing or not a uid.
 */
export function parseLoginuid(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t)) return undefined;
  const v = Number(t);
  return v <= 0xffffffff ? v : undefined;
}
