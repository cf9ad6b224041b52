import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The network simulator is Python (stdlib only; it needs SO_ORIGINAL_DST-style socket options Node
// has not got): its parsers' tests (DNS query, TLS ClientHello SNI/ALPN, HTTP request head, what is
// served; truncated, oversized, self-referencing and fuzzed inputs) are Python's unittest, run here.
describe('network simulator parsers (netsim.py)', () => {
  it('pass their unit tests with hostile inputs', () => {
    const dir = join(process.cwd(), 'libs', 'sandbox', 'assets', 'netsim');
    let out = '';
    try {
      out = execFileSync('/usr/bin/python3', ['-B', '-m', 'unittest', '-v', 'test_netsim'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      throw new Error(`netsim unit tests failed:\n${err.stderr ?? ''}${err.stdout ?? ''}`);
    }
    expect(out).toBe('');
  }, 60_000);
});
