/** Small helpers the benchmarks share (median, one timed POST → terminal status through the API client). */
import type { client } from '../test/support/stack.js';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Submits one analysis and polls (5 ms) until it is completed or failed: the record and POST → done in ms. */
export async function submitAndWait(api: ReturnType<typeof client>, body: Record<string, unknown>): Promise<{ ms: number; done: any }> {
  const t0 = performance.now();
  const { json } = await api.submit(body);
  let done: any;
  do {
    done = (await api.get(json.id)).json;
    if (done.status === 'completed' || done.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 5));
  } while (true);
  return { ms: performance.now() - t0, done };
}
