import { blockedReason, checkWebhookUrl, embeddedIPv4, parseAllowList } from './ssrf.js';
import ipaddr from 'ipaddr.js';

// Addresses a webhook must never reach: every IPv6 spelling that carries a private or special IPv4
// address, and the special-purpose ranges of both families. [address, words the reason contains]
const refused: [string, RegExp][] = [
  // IPv4-compatible (deprecated) and the rest of ::/8
  ['::127.0.0.1', /IPv4-compatible/],
  ['::10.0.0.1', /IPv4-compatible/],
  ['::a9fe:a9fe', /IPv4-compatible.*169\.254\.169\.254/],
  ['::8.8.8.8', /IPv4-compatible/],
  ['0:0:0:0:0:1:0:1', /reserved \(::\/8\)/],
  // IPv4-mapped, every spelling
  ['::ffff:127.0.0.1', /loopback.*IPv4-mapped/],
  ['::ffff:7f00:1', /loopback.*IPv4-mapped/],
  ['0:0:0:0:0:ffff:7f00:0001', /loopback/],
  ['0000:0000:0000:0000:0000:FFFF:0A00:0001', /private.*10\.0\.0\.1/],
  ['::FFFF:169.254.169.254', /link-local/],
  ['::ffff:0.0.0.0', /unspecified/],
  // SIIT
  ['::ffff:0:10.1.2.3', /private.*SIIT/],
  ['::ffff:0:7f00:1', /loopback.*SIIT/],
  // NAT64 well-known prefix embedding private space, and the local-use prefix whole
  ['64:ff9b::10.0.0.1', /private.*NAT64/],
  ['64:ff9b::7f00:1', /loopback.*NAT64/],
  ['64:ff9b::a9fe:a9fe', /link-local.*NAT64.*169\.254\.169\.254/],
  ['64:ff9b::192.168.1.1', /private/],
  ['64:ff9b:1::8.8.8.8', /local-use NAT64/],
  ['64:ff9b:1:ffff::1', /local-use NAT64/],
  // 6to4 embedding private or special space
  ['2002:7f00:1::', /loopback.*6to4/],
  ['2002:a00:1::1', /private.*6to4.*10\.0\.0\.1/],
  ['2002:c0a8:101::', /private.*6to4/],
  ['2002:a9fe:a9fe::1', /link-local/],
  ['2002:c000:0201::', /reserved.*6to4/],
  // Teredo: server 2001:0:SSSS:SSSS, client inverted in the last 32 bits
  ['2001:0:a00:1::1', /private.*Teredo/],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', /loopback.*Teredo.*127\.0\.0\.1/],
  ['2001:0:4136:e378:8000:63bf:f5ff:fffe', /private.*Teredo.*10\.0\.0\.1/],
  // Special IPv6 ranges
  ['100::1', /discard-only/],
  ['100::', /discard-only/],
  ['2001:db8::1', /documentation/],
  ['2001:db8:ffff::', /documentation/],
  ['3fff::1', /documentation/],
  ['2001:2::1', /benchmarking/],
  ['2001:10::1', /ORCHID/],
  ['2001:100::1', /reserved/],
  ['fec0::1', /site-local/],
  ['fe80::1', /link-local/],
  ['fd00::1', /unique local/],
  ['ff02::1', /multicast/],
  ['::1', /loopback/],
  ['::', /unspecified/],
  ['5f00::1', /segment routing/],
  // Special IPv4 ranges, documentation included
  ['192.0.2.1', /documentation/],
  ['198.51.100.7', /documentation/],
  ['203.0.113.200', /documentation/],
  ['198.18.0.1', /benchmarking/],
  ['192.0.0.8', /reserved/],
  ['240.0.0.1', /reserved/],
  ['255.255.255.255', /broadcast/],
  ['100.64.0.1', /shared/],
  ['169.254.169.254', /link-local/],
  ['172.31.255.255', /private/],
  ['127.255.255.254', /loopback/],
  ['0.1.2.3', /unspecified/],
  ['224.0.0.1', /multicast/],
];

const accepted = ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '2002:808:808::1', '2001:0:4136:e378:8000:63bf:f7f7:f7f7', '172.32.0.1', '100.128.0.1'];

describe('SSRF guard: addresses', () => {
  it.each(refused)('refuses %s', (address, why) => {
    expect(blockedReason(address)).toMatch(why);
  });

  it.each(accepted)('accepts the public address %s', (address) => {
    expect(blockedReason(address)).toBeNull();
  });

  it('refuses URLs whose host is any of those spellings', async () => {
    const none = parseAllowList('');
    for (const host of ['[::127.0.0.1]', '[::ffff:7f00:1]', '[64:ff9b::10.0.0.1]', '[2002:a00:1::1]', '[2001:0:a00:1::1]', '[100::1]', '[2001:db8::1]', '192.0.2.1', '0x7f.1', '2130706433', '0177.0.0.1']) {
      await expect(checkWebhookUrl(`http://${host}/hook`, none)).rejects.toThrow(/address; allow it with WEBHOOK_ALLOW_HOSTS/);
    }
    // A resolver answering with an embedding form is judged by the embedded address too.
    await expect(checkWebhookUrl('https://hooks.example/', none, async () => [{ address: '64:ff9b::a9fe:a9fe', family: 6 }])).rejects.toThrow(/169\.254\.169\.254/);
  });

  it('lets an allowed IPv4 range also allow the IPv6 forms carrying it, and nothing else', async () => {
    const allow = parseAllowList('10.0.0.0/8');
    expect((await checkWebhookUrl('http://[::ffff:10.1.2.3]/', allow)).address).toBe('::ffff:a01:203');
    await expect(checkWebhookUrl('http://[::ffff:192.168.0.1]/', allow)).rejects.toThrow(/private/);
  });

  it('decodes the embedded IPv4 of each translation form', () => {
    const dec = (a: string) => embeddedIPv4(ipaddr.parse(a) as ipaddr.IPv6)?.addresses.map(String);
    expect(dec('::ffff:1.2.3.4')).toEqual(['1.2.3.4']);
    expect(dec('64:ff9b::102:304')).toEqual(['1.2.3.4']);
    expect(dec('2002:102:304::')).toEqual(['1.2.3.4']);
    expect(dec('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toEqual(['65.54.227.120', '192.0.2.45']);
    expect(dec('2606:4700::1')).toBeUndefined();
  });
});
