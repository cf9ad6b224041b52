"""Unit tests of the network simulator's parsers (DNS query, TLS ClientHello, HTTP request head) and
of what it serves, with hostile inputs: truncated, oversized, self-referencing, random.
Run by libs/sandbox/src/network/netsim-parsers.spec.ts (python3 -m unittest)."""
import json
import os
import random
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netsim  # noqa: E402


def dns_query(name, qtype=1, qid=0x1234, flags=0x0100):
    q = b''.join(bytes([len(l)]) + l for l in name.encode().split(b'.') if l) + b'\0'
    return struct.pack('!HHHHHH', qid, flags, 1, 0, 0, 0) + q + struct.pack('!HH', qtype, 1)


def client_hello(sni=None, alpn=None, split=None):
    exts = b''
    if sni is not None:
        name = sni.encode()
        entry = b'\0' + struct.pack('!H', len(name)) + name
        body = struct.pack('!H', len(entry)) + entry
        exts += struct.pack('!HH', 0, len(body)) + body
    if alpn:
        protos = b''.join(bytes([len(p)]) + p.encode() for p in alpn)
        body = struct.pack('!H', len(protos)) + protos
        exts += struct.pack('!HH', 16, len(body)) + body
    hello = b'\x03\x03' + b'\x11' * 32 + b'\x00' + b'\x00\x02\x13\x01' + b'\x01\x00' + struct.pack('!H', len(exts)) + exts
    hs = b'\x01' + len(hello).to_bytes(3, 'big') + hello
    if split is None:
        return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs
    a, b = hs[:split], hs[split:]
    return b'\x16\x03\x01' + struct.pack('!H', len(a)) + a + b'\x16\x03\x01' + struct.pack('!H', len(b)) + b


class DnsTest(unittest.TestCase):
    def test_parses_and_answers_a_and_aaaa(self):
        msg = dns_query('Pool.MinerGate.com')
        parsed = netsim.parse_dns_query(msg)
        self.assertEqual(parsed[2], 'pool.minergate.com')
        self.assertEqual(netsim.dns_type_name(parsed[3]), 'A')
        reply, answers = netsim.build_dns_answer(msg, parsed, '192.168.100.1', 'fd00:5153::1')
        self.assertEqual(answers, ['192.168.100.1'])
        self.assertEqual(struct.unpack('!HHHH', reply[:8]), (0x1234, 0x8580, 1, 1))
        self.assertEqual(reply[-4:], bytes([192, 168, 100, 1]))
        msg6 = dns_query('x.example', 28)
        _, answers6 = netsim.build_dns_answer(msg6, netsim.parse_dns_query(msg6), '192.168.100.1', 'fd00:5153::1')
        self.assertEqual(answers6, ['fd00:5153::1'])
        _, none6 = netsim.build_dns_answer(msg6, netsim.parse_dns_query(msg6), '192.168.100.1', None)
        self.assertEqual(none6, [])
        # IPv4 only (the shipped configuration): AAAA is NOERROR with no answer (NODATA), the question echoed.
        reply6, _ = netsim.build_dns_answer(msg6, netsim.parse_dns_query(msg6), '192.168.100.1', None)
        self.assertEqual(struct.unpack('!HHHHHH', reply6[:12]), (0x1234, 0x8580, 1, 0, 0, 0))
        self.assertEqual(reply6[12:], msg6[12:])
        txt = dns_query('exfil.example', 16)
        self.assertEqual(netsim.dns_type_name(netsim.parse_dns_query(txt)[3]), 'TXT')

    def test_escapes_unprintable_and_dot_bytes_in_labels(self):
        msg = struct.pack('!HHHHHH', 1, 0, 1, 0, 0, 0) + b'\x03a.\x01\x00\x00\x01\x00\x01'
        self.assertEqual(netsim.parse_dns_query(msg)[2], 'a\\046\\001')

    def test_rejects_hostile_queries(self):
        bad = [
            b'',
            b'\x00' * 11,
            struct.pack('!HHHHHH', 1, 0x8000, 1, 0, 0, 0) + b'\x00\x00\x01\x00\x01',  # a response
            struct.pack('!HHHHHH', 1, 0, 0, 0, 0, 0) + b'\x00\x00\x01\x00\x01',  # no question
            struct.pack('!HHHHHH', 1, 0, 1, 0, 0, 0) + b'\xc0\x0c\x00\x01\x00\x01',  # pointer to itself
            struct.pack('!HHHHHH', 1, 0, 1, 0, 0, 0) + b'\x3f' + b'a' * 10,  # label past the end
            struct.pack('!HHHHHH', 1, 0, 1, 0, 0, 0) + b'\x03abc',  # no terminator
            struct.pack('!HHHHHH', 1, 0, 1, 0, 0, 0) + b'\x03abc\x00\x00',  # no type/class
            struct.pack('!HHHHHH', 1, 0, 1, 0, 0, 0) + (b'\x3f' + b'a' * 63) * 5 + b'\x00\x00\x01\x00\x01',  # > 255 bytes
        ]
        for msg in bad:
            with self.assertRaises(netsim.ParseError, msg=repr(msg[:40])):
                netsim.parse_dns_query(msg)
        self.assertIsNone(netsim.build_dns_error(b'\x01', 1))
        err = netsim.build_dns_error(bad[4], 1)
        self.assertEqual(struct.unpack('!HH', err[:4])[1] & 0x800F, 0x8001)


class TlsTest(unittest.TestCase):
    def test_reads_sni_and_alpn(self):
        self.assertEqual(netsim.parse_client_hello(client_hello('c2.example.org', ['h2', 'http/1.1'])), {'sni': 'c2.example.org', 'alpn': ['h2', 'http/1.1']})
        self.assertEqual(netsim.parse_client_hello(client_hello()), {'sni': None, 'alpn': []})

    def test_reassembles_a_hello_split_over_records_and_waits_for_the_rest(self):
        whole = client_hello('split.example', split=20)
        self.assertEqual(netsim.parse_client_hello(whole)['sni'], 'split.example')
        for cut in (1, 4, 5, 30, len(whole) - 1):
            self.assertIsNone(netsim.parse_client_hello(whole[:cut]))

    def test_rejects_hostile_hellos(self):
        bad = [
            b'\x17\x03\x03\x00\x05hello',  # application data
            b'\x16\x03\x01\x00\x00',  # empty record
            b'\x16\x03\x01\xff\xff' + b'\x00' * 10,  # record over the limit
            b'\x16\x03\x01\x00\x04\x02\x00\x00\x00',  # ServerHello
            b'\x16\x03\x01\x00\x04\x01\xff\xff\xff',  # hello length over the cap
            b'\x16\x03\x01\x00\x09\x01\x00\x00\x05\x03\x03\x00\x00\x00',  # a whole hello too short for its fields
        ]
        for data in bad:
            with self.assertRaises(netsim.ParseError, msg=repr(data[:20])):
                r = netsim.parse_client_hello(data)
                if r is None:
                    raise AssertionError('waited for more on an impossible hello')
        # A server-name length running past its extension.
        ext = b'\x00\x00\x00\x09\x00\x07\x00\x00\xff' + b'ab'
        hello = b'\x03\x03' + b'\x00' * 32 + b'\x00\x00\x02\x13\x01\x01\x00' + struct.pack('!H', len(ext)) + ext
        hs = b'\x01' + len(hello).to_bytes(3, 'big') + hello
        with self.assertRaises(netsim.ParseError):
            netsim.parse_client_hello(b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs)

    def test_does_not_buffer_past_the_cap(self):
        many = b''.join(b'\x16\x03\x01\x40\x00' + b'\x01' * 0x4000 for _ in range(2))
        with self.assertRaises(netsim.ParseError):
            netsim.parse_client_hello(b'\x16\x03\x01\x00\x04\x01\x00\x80\x00' + many)


class HttpTest(unittest.TestCase):
    def test_parses_a_request_head(self):
        head = b'POST /upload?id=1 HTTP/1.1\r\nHost: paste.example\r\nUser-Agent: curl/8.0\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 5'
        method, target, version, headers = netsim.parse_http_head(head)
        self.assertEqual((method, target, version), ('POST', '/upload?id=1', 'HTTP/1.1'))
        self.assertEqual(headers['user-agent'], 'curl/8.0')
        self.assertEqual(headers['x-a'], '1, 2')
        self.assertEqual(netsim.split_target(target, headers), ('paste.example', '/upload?id=1'))
        self.assertEqual(netsim.split_target('http://proxy.example:8080/a', {}), ('proxy.example:8080', '/a'))
        self.assertEqual(netsim.split_target('HTTP://bare.example', {}), ('bare.example', '/'))

    def test_caps_hostile_heads(self):
        head = b'GET /' + b'a' * 100000 + b' HTTP/1.1\r\n' + b''.join(b'H%d: %s\r\n' % (i, b'v' * 5000) for i in range(500))
        t = time.monotonic()
        _, target, _, headers = netsim.parse_http_head(head)
        self.assertLess(time.monotonic() - t, 0.5)
        self.assertEqual(len(target), netsim.PATH_CAP)
        self.assertEqual(len(headers), netsim.HEADER_COUNT_CAP)
        self.assertTrue(all(len(v) <= netsim.HEADER_VALUE_CAP for v in headers.values()))
        for bad in (b'', b'BREW /pot HTTP/1.1', b'GET', b'\x00\x01\x02 / HTTP/1.1'):
            with self.assertRaises(netsim.ParseError):
                netsim.parse_http_head(bad)
        self.assertTrue(netsim.looks_like_http(b'GET / HTTP/1.1'))
        self.assertFalse(netsim.looks_like_http(b'{"id":1,"method"'))
        self.assertFalse(netsim.looks_like_http(b'NICK bot\r\n'))

    def test_serves_an_elf_for_binary_looking_names_and_a_script_for_sh(self):
        self.assertEqual(netsim.served_kind('GET', '/bins/mipsel', {}), 'elf')
        self.assertEqual(netsim.served_kind('GET', '/x86_64.bin?x=1', {}), 'elf')
        self.assertEqual(netsim.served_kind('GET', '/install.sh', {}), 'script')
        self.assertEqual(netsim.served_kind('GET', '/', {}), 'html')
        self.assertEqual(netsim.served_kind('GET', '/page', {'accept': 'text/html'}), 'html')
        self.assertEqual(netsim.served_kind('GET', '/config.json', {}), 'text')
        self.assertEqual(netsim.served_kind('HEAD', '/a.sh', {}), 'none')


class FuzzTest(unittest.TestCase):
    def test_random_and_mutated_inputs_only_ever_raise_parse_error(self):
        rnd = random.Random(11)
        seeds = [dns_query('a.b.example', 28), client_hello('fuzz.example', ['h2']), b'GET / HTTP/1.1\r\nHost: x\r\n']
        t = time.monotonic()
        for i in range(3000):
            base = bytearray(seeds[i % 3])
            for _ in range(rnd.randint(1, 6)):
                base[rnd.randrange(len(base))] = rnd.randrange(256)
            data = bytes(base[: rnd.randint(0, len(base))]) if i % 5 == 0 else bytes(base)
            if i % 7 == 0:
                data = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 600)))
            for parse in (netsim.parse_dns_query, netsim.parse_client_hello, netsim.parse_http_head):
                try:
                    parse(data)
                except netsim.ParseError:
                    pass
        self.assertLess(time.monotonic() - t, 10)



def attrs(data):
    """[(type, payload)] of a run of rtnetlink attributes."""
    out = []
    pos = 0
    while pos + 4 <= len(data):
        n, t = struct.unpack_from('=HH', data, pos)
        assert n >= 4 and pos + n <= len(data), (pos, n, len(data))
        out.append((t, data[pos + 4:pos + n]))
        pos += (n + 3) & ~3
    assert pos == len(data), (pos, len(data))
    return out


class ZygoteProtocolTest(unittest.TestCase):
    def test_parses_requests(self):
        self.assertEqual(netsim.parse_request(b'sim {"lifetime":30,"deadline":"2026-12-06T08:00:00.000Z"}\n'), ('sim', {'lifetime': 30.0, 'deadline': '2026-12-06T08:00:00.000Z'}))
        # Lifetimes are clamped to 1 s .. 1 day.
        self.assertEqual(netsim.parse_request(b'sim {"lifetime":1e12,"deadline":"x"}')[1]['lifetime'], 86400.0)
        self.assertEqual(netsim.parse_request(b'sim {"lifetime":-5,"deadline":"x"}')[1]['lifetime'], 1.0)
        self.assertEqual(netsim.parse_request(b'attach 4242 777\n'), ('attach', 4242, 777))

    def test_rejects_hostile_requests(self):
        bad = [b'', b'\n', b'fork\n', b'sim\n', b'sim {', b'sim []', b'sim {"lifetime":"30","deadline":"x"}', b'sim {"lifetime":30}',
               b'sim {"lifetime":30,"deadline":"' + b'x' * 100 + b'"}', b'attach 1 5', b'attach 5', b'attach 5 6 7', b'attach -5 6',
               b'attach 5 99999999', b'attach 5 6; reboot', b'sim {"lifetime":30,"deadline":"x"}' + b' ' * netsim.REQUEST_CAP]
        for line in bad:
            with self.assertRaises(netsim.ParseError, msg=repr(line[:60])):
                netsim.parse_request(line)

    def test_child_argument_carries_mark_and_deadline(self):
        arg = netsim.sim_cmdline_arg({'mark': 'quarantine-netsim'}, {'deadline': '2026-12-06T08:00:00.000Z', 'lifetime': 5})
        self.assertEqual(json.loads(arg), {'mark': 'quarantine-netsim', 'role': 'sim', 'deadline': '2026-12-06T08:00:00.000Z'})


class RtnetlinkTest(unittest.TestCase):
    def test_attributes_are_padded_and_nul_terminated(self):
        self.assertEqual(netsim.nla_str(3, 'eth0'), struct.pack('=HH', 9, 3) + b'eth0\0' + b'\0\0\0')
        self.assertEqual(netsim.nla_u32(6, 100), struct.pack('=HHI', 8, 6, 100))
        self.assertEqual(len(netsim.ifinfomsg(7, 1, 1)), 16)

    def test_simulator_namespace(self):
        msgs = netsim.sim_netns_messages(1)
        self.assertEqual([m[0] for m in msgs], [netsim.RTM_NEWLINK, netsim.RTM_NEWRULE, netsim.RTM_NEWROUTE])
        # lo up
        self.assertEqual(struct.unpack('=BxHiII', msgs[0][2]), (0, 0, 1, 1, 1))
        # rule iif eth0 lookup 100 pref 100
        hdr = struct.unpack('=BBBBBBBBI', msgs[1][2][:12])
        self.assertEqual((hdr[0], hdr[4], hdr[7]), (socket.AF_INET, 100, netsim.FR_ACT_TO_TBL))
        self.assertEqual(dict(attrs(msgs[1][2][12:])), {netsim.FRA_IIFNAME: b'eth0\0', netsim.FRA_PRIORITY: struct.pack('=I', 100), netsim.FRA_TABLE: struct.pack('=I', 100)})
        # local 0.0.0.0/0 dev lo table 100
        rt = struct.unpack('=BBBBBBBBI', msgs[2][2][:12])
        self.assertEqual((rt[1], rt[4], rt[6], rt[7]), (0, 100, netsim.RT_SCOPE_HOST, netsim.RTN_LOCAL))
        self.assertEqual(dict(attrs(msgs[2][2][12:]))[netsim.RTA_OIF], struct.pack('=I', 1))

    def test_veth_pair_made_into_the_sample_namespace(self):
        mtype, flags, body = netsim.veth_pair_message(17)
        # Made new (never an existing link), eth0 here, its peer eth0 made in the namespace of fd 17.
        self.assertEqual((mtype, flags), (netsim.RTM_NEWLINK, netsim.NLM_F_CREATE | netsim.NLM_F_EXCL))
        top = dict(attrs(body[16:]))
        self.assertEqual(top[netsim.IFLA_IFNAME], b'eth0\0')
        info = dict(attrs(top[netsim.IFLA_LINKINFO]))
        self.assertEqual(info[netsim.IFLA_INFO_KIND], b'veth\0')
        peer = dict(attrs(info[netsim.IFLA_INFO_DATA]))[netsim.VETH_INFO_PEER]
        self.assertEqual(dict(attrs(peer[16:])), {netsim.IFLA_IFNAME: b'eth0\0', netsim.IFLA_NET_NS_FD: struct.pack('=I', 17)})
        addr, up = netsim.sim_link_messages(4, '192.168.100.1', '192.168.100.2')
        self.assertEqual(struct.unpack('=BBBBI', addr[2][:8]), (socket.AF_INET, 32, 0, 0, 4))
        self.assertEqual(dict(attrs(addr[2][8:])), {netsim.IFA_LOCAL: bytes([192, 168, 100, 1]), netsim.IFA_ADDRESS: bytes([192, 168, 100, 2])})
        self.assertEqual(up, (netsim.RTM_NEWLINK, 0, netsim.ifinfomsg(4, 1, 1)))

    def test_sandbox_link(self):
        mode, addr, up, route = netsim.sandbox_link_messages(9, '192.168.100.2', '192.168.100.1')
        self.assertEqual(struct.unpack('=BxHiII', mode[2][:16])[2:], (9, 0, 0))
        # addrgenmode none, set before the link is up: no IPv6 link-local address, ever.
        link = dict(attrs(mode[2][16:]))
        af6 = dict(attrs(dict(attrs(link[netsim.IFLA_AF_SPEC]))[socket.AF_INET6]))
        self.assertEqual(af6[netsim.IFLA_INET6_ADDR_GEN_MODE], bytes([netsim.IN6_ADDR_GEN_MODE_NONE]))
        self.assertEqual(struct.unpack('=BBBBI', addr[2][:8]), (socket.AF_INET, 32, 0, 0, 9))
        self.assertEqual(dict(attrs(addr[2][8:])), {netsim.IFA_LOCAL: bytes([192, 168, 100, 2]), netsim.IFA_ADDRESS: bytes([192, 168, 100, 1])})
        self.assertEqual(up, (netsim.RTM_NEWLINK, 0, netsim.ifinfomsg(9, 1, 1)))
        rt = struct.unpack('=BBBBBBBBI', route[2][:12])
        self.assertEqual((rt[1], rt[4], rt[7], rt[8]), (0, netsim.RT_TABLE_MAIN, netsim.RTN_UNICAST, netsim.RTNH_F_ONLINK))
        self.assertEqual(dict(attrs(route[2][12:])), {netsim.RTA_GATEWAY: bytes([192, 168, 100, 1]), netsim.RTA_OIF: struct.pack('=I', 9)})

    def test_tproxy_rules(self):
        rules = netsim.tproxy_rules(1)
        self.assertEqual(rules.splitlines(), [
            '*mangle',
            '-A PREROUTING -i eth0 -p tcp -j TPROXY --on-port 1 --on-ip 0.0.0.0 --tproxy-mark 0x1/0x1',
            '-A PREROUTING -i eth0 -p udp ! --dport 53 -j TPROXY --on-port 1 --on-ip 0.0.0.0 --tproxy-mark 0x1/0x1',
            'COMMIT',
        ])

if __name__ == '__main__':
    unittest.main()
