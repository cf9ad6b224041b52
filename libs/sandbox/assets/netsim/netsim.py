#!/usr/bin/python3 -I -S
"""Quarantine's network simulator: the only peer a sandbox can reach (issue 11).

Forked by a zygote (`python3 -I -S netsim.py {"role":"zygote",…}`, one per worker, started by
libs/sandbox/src/network/netsim-zygote.ts; see "zygote" below): each simulator gets a network
namespace of its own (unshare), set up over rtnetlink; at attach a veth pair is made straight into
it and the sample's namespace (no bridge, no host address, no route out). In that namespace every
address arriving on the link is local (`ip rule iif eth0 lookup 100`, `local 0.0.0.0/0 dev lo
table 100`) and TPROXY hands every TCP connection and every UDP datagram (but DNS) to two
transparent sockets here, whose local address is the ORIGINAL destination (a literal IP, any
port). UDP 53 reaches the DNS socket directly. Run with any other configuration (Kubernetes'
`listen` mode), it is one simulator serving where it is started.

Serves: DNS (every name: A -> the simulator; AAAA when `ip6` is configured), HTTP on any port (sniffed, not by port), TLS on
any port (self-signed; SNI/ALPN from the ClientHello, then HTTP inside when the client accepts the
certificate), a catch-all that keeps the first bytes of any other TCP connection or UDP datagram
(SMTP/FTP ports get a `220` greeting first, so a client says HELO). Records one NetCapture JSON line
per exchange (libs/analysis/src/network/capture.ts) on stdout, which the worker appends to the
analysis' capture file (in Kubernetes, the pod log).

A hostile sample talks to this: every buffer is bounded, every connection has a deadline, at most
MAX_CONNS connections are served at once, the capture file has a byte cap. After binding (as root,
IP_TRANSPARENT needs CAP_NET_ADMIN) it chroots into an empty directory and drops to nobody.
Control on stdin/stdout: `lease <seconds>` (live that long from now),
`no-ipv6`, `ping` -> `ok <records> <dropped>` (after writing the records of open connections); EOF
on stdin (the worker went away) or the lifetime running out ends the process.
"""
import base64
import hashlib
import json
import os
import resource
import select
import socket
import ssl
import struct
import sys
import threading
import time

FIRST_BYTES_CAP = 4096
HEAD_CAP = 16 * 1024
HEADER_COUNT_CAP = 64
HEADER_VALUE_CAP = 1024
PATH_CAP = 2048
BODY_READ_CAP = 8 * 1024 * 1024
HELLO_CAP = 16 * 1024
MAX_CONNS = 128
CONN_DEADLINE = 20.0
IDLE_TIMEOUT = 1.0
CAPTURE_CAP = 8 * 1024 * 1024

SOL_IP = 0
SOL_IPV6 = 41
IP_TRANSPARENT = 19
IP_PKTINFO = 8
IP_RECVORIGDSTADDR = 20
IPV6_RECVPKTINFO = 49
IPV6_PKTINFO = 50
IPV6_TRANSPARENT = 75
IPV6_RECVORIGDSTADDR = 74

# ----------------------------------------------------------------------------- parsers (pure)

DNS_TYPES = {1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 65: 'HTTPS', 255: 'ANY'}


class ParseError(ValueError):
    pass


def parse_dns_query(msg):
    """(id, flags, name, qtype, qclass, question_end) of a DNS query's first question.

    Raises ParseError on anything malformed: short header, not a query, no question, labels past
    the message, compression pointers (never legal in a query's first name), names over 255 bytes.
    """
    if len(msg) < 12:
        raise ParseError('short header')
    qid, flags, qd = struct.unpack('!HHH', msg[:6])
    if flags & 0x8000:
        raise ParseError('not a query')
    if qd < 1:
        raise ParseError('no question')
    pos = 12
    labels = []
    total = 0
    while True:
        if pos >= len(msg):
            raise ParseError('name runs past the message')
        n = msg[pos]
        if n & 0xC0:
            raise ParseError('compressed or extended label in a question')
        pos += 1
        if n == 0:
            break
        if pos + n > len(msg):
            raise ParseError('label runs past the message')
        total += n + 1
        if total > 255:
            raise ParseError('name longer than 255 bytes')
        labels.append(msg[pos:pos + n])
        pos += n
    if pos + 4 > len(msg):
        raise ParseError('question without type and class')
    qtype, qclass = struct.unpack('!HH', msg[pos:pos + 4])
    name = '.'.join(escape_label(l) for l in labels) or '.'
    return qid, flags, name, qtype, qclass, pos + 4


def escape_label(label):
    out = []
    for b in label:
        c = chr(b)
        if b > 0x20 and b < 0x7F and c not in '.\\':
            out.append(c.lower())
        else:
            out.append('\\%03d' % b)
    return ''.join(out)


def dns_type_name(qtype):
    return DNS_TYPES.get(qtype, 'TYPE%d' % qtype)


def build_dns_answer(msg, parsed, ip4, ip6):
    """A response to the query: A -> ip4, AAAA -> ip6 (when the link has IPv6), ANY -> both, others empty."""
    qid, flags, _name, qtype, qclass, qend = parsed
    answers = []
    rrs = b''
    if qclass in (1, 255):
        if qtype in (1, 255) and ip4:
            answers.append(ip4)
            rrs += b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 60, 4) + socket.inet_pton(socket.AF_INET, ip4)
        if qtype in (28, 255) and ip6:
            answers.append(ip6)
            rrs += b'\xc0\x0c' + struct.pack('!HHIH', 28, 1, 60, 16) + socket.inet_pton(socket.AF_INET6, ip6)
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080  # QR, AA, RD copied, RA; NOERROR
    header = struct.pack('!HHHHHH', qid, rflags, 1, len(answers), 0, 0)
    return header + msg[12:qend] + rrs, answers


def build_dns_error(msg, rcode):
    if len(msg) < 4:
        return None
    qid, flags = struct.unpack('!HH', msg[:4])
    return struct.pack('!HHHHHH', qid, 0x8000 | (flags & 0x7900) | 0x0080 | rcode, 0, 0, 0, 0)


def parse_client_hello(data):
    """{'sni': str|None, 'alpn': [str]} from a TLS ClientHello, or None if `data` is not (yet) a
    whole ClientHello. Raises ParseError when it cannot be one. Spans records (a hello may be
    fragmented) up to HELLO_CAP bytes."""
    hs = b''
    pos = 0
    while True:
        if len(data) - pos < 5:
            return None
        ctype, _ver, rlen = struct.unpack('!BHH', data[pos:pos + 5])
        if ctype != 22:
            raise ParseError('not a handshake record')
        if rlen == 0 or rlen > 16384 + 2048:
            raise ParseError('bad record length')
        if len(data) - pos - 5 < rlen:
            if pos + 5 + rlen > HELLO_CAP:
                raise ParseError('hello over the cap')
            return None
        hs += data[pos + 5:pos + 5 + rlen]
        pos += 5 + rlen
        if len(hs) >= 4:
            if hs[0] != 1:
                raise ParseError('not a ClientHello')
            hlen = int.from_bytes(hs[1:4], 'big')
            if hlen > HELLO_CAP:
                raise ParseError('hello over the cap')
            if len(hs) >= 4 + hlen:
                return parse_hello_body(hs[4:4 + hlen])


def parse_hello_body(b):
    p = 2 + 32  # version, random
    def need(n):
        if p + n > len(b):
            raise ParseError('truncated ClientHello')
    need(1)
    p += 1 + b[p]  # session id
    need(2)
    p += 2 + int.from_bytes(b[p:p + 2], 'big')  # cipher suites
    need(1)
    p += 1 + b[p]  # compression methods
    out = {'sni': None, 'alpn': []}
    if p == len(b):
        return out
    need(2)
    end = p + 2 + int.from_bytes(b[p:p + 2], 'big')
    if end > len(b):
        raise ParseError('extensions run past the hello')
    p += 2
    while p + 4 <= end:
        etype, elen = struct.unpack('!HH', b[p:p + 4])
        p += 4
        if p + elen > end:
            raise ParseError('extension runs past the hello')
        ext = b[p:p + elen]
        p += elen
        if etype == 0 and len(ext) >= 2:
            q = 2
            lend = min(len(ext), 2 + int.from_bytes(ext[0:2], 'big'))
            while q + 3 <= lend:
                ntype, nlen = ext[q], int.from_bytes(ext[q + 1:q + 3], 'big')
                q += 3
                if q + nlen > lend:
                    raise ParseError('server name runs past its extension')
                if ntype == 0 and out['sni'] is None:
                    out['sni'] = ext[q:q + nlen].decode('latin-1')[:255]
                q += nlen
        elif etype == 16 and len(ext) >= 2:
            q = 2
            lend = min(len(ext), 2 + int.from_bytes(ext[0:2], 'big'))
            while q < lend and len(out['alpn']) < 16:
                n = ext[q]
                q += 1
                if q + n > lend:
                    raise ParseError('protocol name runs past its extension')
                out['alpn'].append(ext[q:q + n].decode('latin-1'))
                q += n
    return out


HTTP_METHODS = (b'GET', b'POST', b'PUT', b'HEAD', b'DELETE', b'OPTIONS', b'PATCH', b'CONNECT', b'TRACE', b'PROPFIND')


def looks_like_http(first):
    sp = first.find(b' ', 0, 12)
    return sp > 0 and first[:sp] in HTTP_METHODS


def parse_http_head(head):
    """(method, target, version, headers dict lower-cased) from a request head (bytes before the
    blank line). Raises ParseError on a malformed request line. Header count and sizes are capped."""
    lines = head.split(b'\n')
    parts = lines[0].rstrip(b'\r').split(b' ')
    if len(parts) < 2 or parts[0] not in HTTP_METHODS:
        raise ParseError('bad request line')
    method = parts[0].decode('ascii')
    target = parts[1].decode('latin-1')[:PATH_CAP]
    version = parts[2].decode('latin-1')[:16] if len(parts) > 2 else 'HTTP/0.9'
    headers = {}
    for line in lines[1:]:
        line = line.rstrip(b'\r')
        if not line:
            continue
        if len(headers) >= HEADER_COUNT_CAP:
            break
        colon = line.find(b':')
        if colon <= 0:
            continue
        name = line[:colon].strip().decode('latin-1').lower()[:128]
        value = line[colon + 1:].strip().decode('latin-1')[:HEADER_VALUE_CAP]
        headers[name] = value if name not in headers else (headers[name] + ', ' + value)[:HEADER_VALUE_CAP]
    return method, target, version, headers


def split_target(target, headers):
    """(host, path) of a request target: origin form uses Host; absolute form (a proxy request) its own."""
    low = target.lower()
    for scheme in ('http://', 'https://'):
        if low.startswith(scheme):
            rest = target[len(scheme):]
            slash = rest.find('/')
            return (rest if slash < 0 else rest[:slash])[:255], ('/' if slash < 0 else rest[slash:])
    return headers.get('host', '')[:255], target


BIN_EXT = {'bin', 'elf', 'exe', 'so', 'out', 'x86', 'x86_64', 'amd64', 'i386', 'i686', 'arm', 'arm5', 'arm6', 'arm7', 'armv7l', 'aarch64', 'arm64', 'mips', 'mipsel', 'mpsl', 'ppc', 'sh4', 'm68k', 'spc', 'elf64', 'dat', 'tmp'}
SCRIPT_EXT = {'sh', 'bash'}
PAGE_EXT = {'html', 'htm', 'php', 'asp', 'aspx', 'jsp', ''}
TEXT_EXT = {'txt', 'json', 'xml', 'js', 'css', 'csv', 'conf', 'cfg', 'ini', 'yaml', 'yml', 'md', 'py', 'pl', 'rb'}


def served_kind(method, path, headers):
    """What to serve for a request: 'elf' for binary-looking names, 'script' for .sh, else a page or text."""
    if method == 'HEAD' or method == 'CONNECT':
        return 'none'
    p = path.split('?', 1)[0].split('#', 1)[0]
    last = p.rsplit('/', 1)[-1]
    ext = last.rsplit('.', 1)[-1].lower() if '.' in last else ''
    if ext in SCRIPT_EXT:
        return 'script'
    if ext in BIN_EXT:
        return 'elf'
    if ext in TEXT_EXT:
        return 'text'
    if ext == '' and last and 'text/html' not in headers.get('accept', ''):
        return 'elf'
    return 'html'


# ----------------------------------------------------------------------------- runtime


class Capture:
    """The capture (stdout): one JSON line per exchange, written whole under a lock, byte-capped."""

    def __init__(self, fd):
        self.fd = fd
        self.lock = threading.Lock()
        self.bytes = 0
        self.records = 0
        self.dropped = 0

    def write(self, rec):
        line = (json.dumps(rec, separators=(',', ':')) + '\n').encode('utf-8')
        with self.lock:
            if self.bytes + len(line) > CAPTURE_CAP:
                self.dropped += 1
                return
            self.bytes += len(line)
            self.records += 1
            os.write(self.fd, line)

    def say(self, text):
        """A control line on stdout; with the capture on stdout too, whole lines never interleave."""
        with self.lock:
            os.write(1, (text + '\n').encode('ascii'))


def b64(b):
    return base64.b64encode(bytes(b[:FIRST_BYTES_CAP])).decode('ascii')


def endpoint(addr):
    return {'ip': addr[0].split('%', 1)[0].removeprefix('::ffff:'), 'port': addr[1]}


def load_assets(cfg):
    """What every simulator serves: payloads (with their digests) and the TLS context. A zygote loads
    them once; each forked simulator gets its own copy (fork copies memory, shares nothing live)."""
    payloads = {}
    with open(os.path.join(cfg['assets'], 'payload.elf'), 'rb') as f:
        payloads['elf'] = (f.read(), 'application/octet-stream')
    payloads['script'] = (b'#!/bin/sh\necho "quarantine-netsim: simulated script payload"\nexit 0\n', 'text/x-shellscript')
    payloads['html'] = (b'<!doctype html><html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>\n', 'text/html')
    payloads['text'] = (b'ok\n', 'text/plain')
    payloads['none'] = (b'', 'text/plain')
    sha = {k: hashlib.sha256(v[0]).hexdigest() for k, v in payloads.items()}
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(os.path.join(cfg['assets'], 'cert.pem'), os.path.join(cfg['assets'], 'key.pem'))
    tls.set_alpn_protocols(['http/1.1'])
    # Any client the sample carries (busybox's wget sends no signature_algorithms, old malware
    # speaks TLS 1.0): the point is to see the request, not to protect it.
    tls.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    tls.set_ciphers('ALL:@SECLEVEL=0')
    return payloads, sha, tls


class Sim:
    def __init__(self, cfg, capture, assets=None):
        self.cfg = cfg
        self.capture = capture
        self.ip4 = cfg.get('ip4')
        self.ip6 = cfg.get('ip6')
        self.slots = threading.BoundedSemaphore(MAX_CONNS)
        self.active = set()
        self.active_lock = threading.Lock()
        self.payloads, self.sha, self.tls = assets or load_assets(cfg)

    # ---- sockets (bound as root, before dropping privileges)
    def bind(self):
        if self.cfg.get('listen'):
            return self.bind_listen(self.cfg['listen'])
        port = self.cfg['port']
        socks = []
        families = [(socket.AF_INET, SOL_IP, IP_TRANSPARENT, '0.0.0.0')]
        if self.ip6:
            families.append((socket.AF_INET6, SOL_IPV6, IPV6_TRANSPARENT, '::'))
        for fam, lvl, opt, addr in families:
            t = socket.socket(fam, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.setsockopt(lvl, opt, 1)
            if fam == socket.AF_INET6:
                t.setsockopt(SOL_IPV6, socket.IPV6_V6ONLY, 1)
            t.bind((addr, port))
            t.listen(256)
            socks.append(('tcp', t))
            u = socket.socket(fam, socket.SOCK_DGRAM)
            u.setsockopt(lvl, opt, 1)
            if fam == socket.AF_INET6:
                u.setsockopt(SOL_IPV6, socket.IPV6_V6ONLY, 1)
            u.setsockopt(lvl, IP_RECVORIGDSTADDR if fam == socket.AF_INET else IPV6_RECVORIGDSTADDR, 1)
            u.bind((addr, port))
            socks.append(('udp', u))
            d = socket.socket(fam, socket.SOCK_DGRAM)
            d.setsockopt(lvl, opt, 1)  # replies leave from the address the sample asked (IP_PKTINFO)
            if fam == socket.AF_INET6:
                d.setsockopt(SOL_IPV6, socket.IPV6_V6ONLY, 1)
                d.setsockopt(SOL_IPV6, IPV6_RECVPKTINFO, 1)
            else:
                d.setsockopt(SOL_IP, IP_PKTINFO, 1)
            d.bind((addr, 53))
            socks.append(('dns', d))
        return socks

    def bind_listen(self, ports):
        """Kubernetes (no TPROXY in a pod): plain sockets on a list of ports of the pod's own address;
        the sample reaches nothing else (NetworkPolicy). DNS answers with the address it was asked on."""
        socks = []
        for port in ports:
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind(('0.0.0.0', int(port)))
            t.listen(256)
            socks.append(('tcp', t))
        d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        d.setsockopt(SOL_IP, IP_PKTINFO, 1)
        d.bind(('0.0.0.0', 53))
        socks.append(('dns', d))
        return socks

    def serve(self, socks):
        self.socks = [s for _, s in socks]
        for kind, s in socks:
            target = {'tcp': self.accept_loop, 'udp': self.udp_loop, 'dns': self.dns_loop}[kind]
            threading.Thread(target=target, args=(s,), daemon=True).start()

    # ---- DNS
    def dns_loop(self, s):
        v6 = s.family == socket.AF_INET6
        while True:
            try:
                msg, anc, _flags, src = s.recvmsg(4096, 256)
            except OSError:
                continue
            dst_ip = self.ip6 if v6 else self.ip4
            pkt = None
            answer4 = self.ip4
            for lvl, typ, data in anc:
                if not v6 and lvl == SOL_IP and typ == IP_PKTINFO and len(data) >= 12:
                    dst_ip = socket.inet_ntop(socket.AF_INET, data[8:12])
                    pkt = struct.pack('=i4s4s', 0, data[8:12], b'\0' * 4)
                    answer4 = self.ip4 or dst_ip
                elif v6 and lvl == SOL_IPV6 and typ == IPV6_PKTINFO and len(data) >= 20:
                    dst_ip = socket.inet_ntop(socket.AF_INET6, data[0:16])
                    pkt = data[0:16] + struct.pack('=i', 0)
            rec = {'v': 1, 'ts': int(time.time() * 1000), 'transport': 'udp', 'src': endpoint(src), 'dst': {'ip': (dst_ip or '').removeprefix('::ffff:'), 'port': 53}, 'firstBytes': b64(msg), 'bytesIn': len(msg)}
            try:
                parsed = parse_dns_query(msg)
                reply, answers = build_dns_answer(msg, parsed, answer4, self.ip6)
                rec['kind'] = 'dns'
                rec['dns'] = {'name': parsed[2], 'type': dns_type_name(parsed[3]), 'answers': answers}
            except ParseError:
                reply = build_dns_error(msg, 1)
                rec['kind'] = 'udp'
            self.capture.write(rec)
            if reply:
                try:
                    anc_out = [(SOL_IPV6, IPV6_PKTINFO, pkt) if v6 else (SOL_IP, IP_PKTINFO, pkt)] if pkt else []
                    s.sendmsg([reply], anc_out, 0, src)
                except OSError:
                    pass

    # ---- UDP catch-all
    def udp_loop(self, s):
        v6 = s.family == socket.AF_INET6
        while True:
            try:
                msg, anc, _flags, src = s.recvmsg(65536, 256)
            except OSError:
                continue
            dst = {'ip': '', 'port': 0}
            for lvl, typ, data in anc:
                if not v6 and lvl == SOL_IP and typ == IP_RECVORIGDSTADDR and len(data) >= 8:
                    dst = {'ip': socket.inet_ntop(socket.AF_INET, data[4:8]), 'port': struct.unpack('!H', data[2:4])[0]}
                elif v6 and lvl == SOL_IPV6 and typ == IPV6_RECVORIGDSTADDR and len(data) >= 24:
                    dst = {'ip': socket.inet_ntop(socket.AF_INET6, data[8:24]).removeprefix('::ffff:'), 'port': struct.unpack('!H', data[2:4])[0]}
            self.capture.write({'v': 1, 'ts': int(time.time() * 1000), 'kind': 'udp', 'transport': 'udp', 'src': endpoint(src), 'dst': dst, 'firstBytes': b64(msg), 'bytesIn': len(msg)})

    # ---- TCP
    def accept_loop(self, s):
        while True:
            try:
                c, src = s.accept()
            except OSError:
                time.sleep(0.01)
                continue
            if not self.slots.acquire(blocking=False):
                # Over the cap: record the attempt, serve nothing.
                try:
                    self.capture.write({'v': 1, 'ts': int(time.time() * 1000), 'kind': 'tcp', 'transport': 'tcp', 'src': endpoint(src), 'dst': endpoint(c.getsockname()), 'bytesIn': 0})
                finally:
                    c.close()
                continue
            try:
                threading.Thread(target=self.handle, args=(c, src), daemon=True).start()
            except RuntimeError:
                c.close()
                self.slots.release()

    def handle(self, c, src):
        conn = Conn(self, c, src)
        with self.active_lock:
            self.active.add(conn)
        try:
            conn.run()
        except (OSError, ssl.SSLError, ValueError, TimeoutError):
            pass
        finally:
            conn.flush()
            with self.active_lock:
                self.active.discard(conn)
            try:
                c.close()
            except OSError:
                pass
            self.slots.release()

    def flush_all(self, settle=0.5):
        """Writes every exchange seen so far (the end-of-run health check): first lets connections
        still in the accept queue be accepted, datagrams still queued be read, and connections whose
        first bytes have not been read yet read them (at most `settle` seconds); then writes what the
        open connections have, peeking at bytes not read yet."""
        end = time.monotonic() + settle
        while time.monotonic() < end:
            try:
                pending, _, _ = select.select(self.socks, [], [], 0)
            except (OSError, ValueError):
                pending = []
            with self.active_lock:
                waiting = any(not c.written and not c.first for c in self.active)
            if not pending and not waiting:
                break
            time.sleep(0.02)
        with self.active_lock:
            conns = list(self.active)
        for conn in conns:
            conn.flush(peek=True)


class Conn:
    """One TCP connection: sniff the first bytes, then TLS, HTTP or the raw catch-all."""

    def __init__(self, sim, sock, src):
        self.sim = sim
        self.sock = sock
        self.deadline = time.monotonic() + CONN_DEADLINE
        dst = sock.getsockname()
        self.rec = {'v': 1, 'ts': int(time.time() * 1000), 'kind': 'tcp', 'transport': 'tcp', 'src': endpoint(src), 'dst': endpoint(dst), 'bytesIn': 0}
        self.first = bytearray()
        self.lock = threading.Lock()
        self.written = False
        self.tls = None  # (SSLObject, incoming BIO, outgoing BIO)

    def flush(self, peek=False):
        with self.lock:
            if self.written:
                return
            self.written = True
            if peek and not self.first and not self.tls:
                try:
                    self.first += self.sock.recv(FIRST_BYTES_CAP, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                    self.rec['bytesIn'] = max(self.rec['bytesIn'], len(self.first))
                except OSError:
                    pass
            if self.first:
                self.rec['firstBytes'] = b64(self.first)
            rec = dict(self.rec)
        self.sim.capture.write(rec)

    # raw socket I/O with the connection's deadline
    def raw_recv(self, timeout):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError()
        self.sock.settimeout(min(timeout, left))
        data = self.sock.recv(65536)
        self.rec['bytesIn'] += len(data)
        return data

    def raw_send(self, data):
        self.sock.settimeout(max(0.1, min(5.0, self.deadline - time.monotonic())))
        self.sock.sendall(data)

    def keep(self, data):
        room = FIRST_BYTES_CAP - len(self.first)
        if room > 0:
            self.first += data[:room]

    # plaintext I/O (through TLS once it is up)
    def recv(self, timeout):
        if not self.tls:
            data = self.raw_recv(timeout)
            self.keep(data)
            return data
        obj, inc, out = self.tls
        while True:
            try:
                return obj.read(65536)
            except ssl.SSLWantReadError:
                self.push_tls()
                raw = self.raw_recv(timeout)
                if not raw:
                    return b''
                inc.write(raw)
            except ssl.SSLZeroReturnError:
                return b''

    def send(self, data):
        if not self.tls:
            self.raw_send(data)
            return
        self.tls[0].write(data)
        self.push_tls()

    def push_tls(self):
        out = self.tls[2]
        pending = out.read()
        if pending:
            self.raw_send(pending)

    def run(self):
        port = self.rec['dst']['port']
        if port in (21, 25, 587, 2525, 110, 143):
            self.raw_send(b'220 mail.example.com ESMTP ready\r\n' if port != 110 and port != 143 else b'+OK ready\r\n')
        try:
            data = self.raw_recv(5.0)
        except (socket.timeout, TimeoutError):
            return
        if not data:
            return
        if data[0] == 0x16:
            self.run_tls(bytearray(data))
        elif looks_like_http(bytes(data[:12])):
            self.keep(data)
            self.run_http(bytearray(data))
        else:
            self.keep(data)
            self.run_raw(port)

    def run_raw(self, port):
        chatty = port in (21, 25, 587, 2525, 110, 143)
        seen = len(self.first)
        while len(self.first) < FIRST_BYTES_CAP:
            if chatty:
                lines = bytes(self.first[seen:]).count(b'\n')
                seen = len(self.first)
                for _ in range(min(lines, 8)):
                    self.raw_send(b'250 OK\r\n')
            try:
                data = self.raw_recv(IDLE_TIMEOUT)
            except (socket.timeout, TimeoutError):
                break
            if not data:
                break
            self.keep(data)
        self.flush()
        # Keep the sample's side open (it may wait for a reply), discarding, until it closes or the deadline.
        while True:
            try:
                if not self.raw_recv(CONN_DEADLINE):
                    return
            except (socket.timeout, TimeoutError):
                return

    def run_tls(self, buf):
        hello = None
        while hello is None:
            try:
                hello = parse_client_hello(bytes(buf))
            except ParseError:
                self.keep(buf)
                self.rec['kind'] = 'tcp'
                return
            if hello is None:
                data = self.raw_recv(5.0)
                if not data:
                    self.keep(buf)
                    return
                buf += data
        self.rec['kind'] = 'tls'
        self.rec['tls'] = {k: v for k, v in (('sni', hello['sni']), ('alpn', hello['alpn'] or None)) if v}
        self.keep(buf)
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = self.sim.tls.wrap_bio(inc, out, server_side=True)
        inc.write(bytes(buf))
        self.tls = (obj, inc, out)
        # The first bytes of a TLS exchange are the hello; what follows is recorded decrypted (in http).
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.push_tls()
                raw = self.raw_recv(5.0)
                if not raw:
                    return
                inc.write(raw)
        self.push_tls()
        data = self.recv(5.0)
        if not data:
            return
        if looks_like_http(bytes(data[:12])):
            self.run_http(bytearray(data))

    def run_http(self, buf):
        while b'\r\n\r\n' not in buf and b'\n\n' not in buf:
            if len(buf) > HEAD_CAP:
                break
            data = self.recv(5.0)
            if not data:
                break
            buf += data
        end = buf.find(b'\r\n\r\n')
        sep = 4
        if end < 0:
            end, sep = buf.find(b'\n\n'), 2
        if end < 0:
            end, sep = min(len(buf), HEAD_CAP), 0
        try:
            method, target, _version, headers = parse_http_head(bytes(buf[:end]))
        except ParseError:
            return
        host, path = split_target(target, headers)
        body = bytearray(buf[end + sep:])
        body_bytes = len(body)
        try:
            want = min(int(headers.get('content-length', '0') or 0), BODY_READ_CAP)
        except ValueError:
            want = 0
        chunked = 'chunked' in headers.get('transfer-encoding', '').lower()
        while (body_bytes < want or (chunked and b'0\r\n\r\n' not in body[-7:] and body_bytes < BODY_READ_CAP)):
            try:
                data = self.recv(IDLE_TIMEOUT if chunked else 5.0)
            except (socket.timeout, TimeoutError):
                break
            if not data:
                break
            body_bytes += len(data)
            if len(body) < FIRST_BYTES_CAP:
                body += data[:FIRST_BYTES_CAP - len(body)]
        kind = served_kind(method, path, headers)
        content, ctype = self.sim.payloads[kind]
        http = {'method': method, 'host': host, 'path': path, 'headers': headers, 'bodyBytes': body_bytes, 'status': 200, 'served': kind}
        if 'user-agent' in headers:
            http['userAgent'] = headers['user-agent']
        if body:
            http['body'] = b64(body)
        if kind != 'none':
            http['servedSha256'] = self.sim.sha[kind]
        with self.lock:
            if self.rec['kind'] == 'tcp':
                self.rec['kind'] = 'http'
            self.rec['http'] = http
        self.flush()
        length = len(content) if kind != 'none' or method == 'HEAD' else 0
        head = ('HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % (ctype, length)).encode('ascii')
        self.send(head + (b'' if method == 'HEAD' else content))
        if self.tls:
            try:
                self.tls[0].unwrap()
            except (ssl.SSLError, ssl.SSLWantReadError):
                pass
            self.push_tls()


# ----------------------------------------------------------------------------- rtnetlink (pure builders)
# The namespace plumbing as rtnetlink messages sent from here, instead of `ip` processes: a
# simulator's namespace is set up, and the sample's end of its link moved and addressed, without
# spawning anything (iptables-restore for the two TPROXY rules is the one exec left).

NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLMSG_ERROR = 2
RTM_NEWLINK = 16
RTM_NEWADDR = 20
RTM_NEWROUTE = 24
RTM_NEWRULE = 32
IFLA_IFNAME = 3
IFLA_LINKINFO = 18
IFLA_AF_SPEC = 26
IFLA_NET_NS_FD = 28
IFLA_INFO_KIND = 1
IFLA_INFO_DATA = 2
VETH_INFO_PEER = 1
IFLA_INET6_ADDR_GEN_MODE = 8
IN6_ADDR_GEN_MODE_NONE = 1
IFA_ADDRESS = 1
IFA_LOCAL = 2
RTA_DST = 1
RTA_OIF = 4
RTA_GATEWAY = 5
RTA_TABLE = 15
FRA_IIFNAME = 3
FRA_PRIORITY = 6
FRA_TABLE = 15
FR_ACT_TO_TBL = 1
RTN_UNICAST = 1
RTN_LOCAL = 2
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_HOST = 254
RTPROT_BOOT = 3
RT_TABLE_MAIN = 254
RTNH_F_ONLINK = 4
IFF_UP = 1
SIM_TABLE = 100
CREATE = NLM_F_CREATE | NLM_F_EXCL


def nla(atype, data):
    n = 4 + len(data)
    return struct.pack('=HH', n, atype) + data + b'\0' * (-n % 4)


def nla_str(atype, text):
    return nla(atype, text.encode('ascii') + b'\0')


def nla_u32(atype, value):
    return nla(atype, struct.pack('=I', value))


def ip4(addr):
    return socket.inet_pton(socket.AF_INET, addr)


def ifinfomsg(index=0, flags=0, change=0):
    return struct.pack('=BxHiII', socket.AF_UNSPEC, 0, index, flags, change)


def link_up(index):
    return (RTM_NEWLINK, 0, ifinfomsg(index, IFF_UP, IFF_UP))


def sim_netns_messages(lo):
    """The simulator's namespace at start: lo up; everything arriving on eth0 (made at attach) is
    local (`rule iif eth0 lookup 100 pref 100`, `route add local 0.0.0.0/0 dev lo table 100`)."""
    rule = struct.pack('=BBBBBBBBI', socket.AF_INET, 0, 0, 0, SIM_TABLE, 0, 0, FR_ACT_TO_TBL, 0)
    rule += nla_str(FRA_IIFNAME, 'eth0') + nla_u32(FRA_PRIORITY, 100) + nla_u32(FRA_TABLE, SIM_TABLE)
    route = struct.pack('=BBBBBBBBI', socket.AF_INET, 0, 0, 0, SIM_TABLE, RTPROT_BOOT, RT_SCOPE_HOST, RTN_LOCAL, 0)
    route += nla(RTA_DST, ip4('0.0.0.0')) + nla_u32(RTA_OIF, lo) + nla_u32(RTA_TABLE, SIM_TABLE)
    return [link_up(lo), (RTM_NEWRULE, CREATE, rule), (RTM_NEWROUTE, CREATE, route)]


def veth_pair_message(peer_netns_fd):
    """Sent in the simulator's namespace: the pair eth0 here / eth0 made straight in the sample's
    namespace (`ip link add eth0 type veth peer name eth0 netns <fd>`). Made in place, never moved:
    moving a link between namespaces waits for an RCU grace period (~15-25 ms), making it does not.
    The pair never exists in the host's namespace and goes with the simulator's."""
    peer = nla(VETH_INFO_PEER, ifinfomsg() + nla_str(IFLA_IFNAME, 'eth0') + nla_u32(IFLA_NET_NS_FD, peer_netns_fd))
    return (RTM_NEWLINK, CREATE, ifinfomsg() + nla_str(IFLA_IFNAME, 'eth0') + nla(IFLA_LINKINFO, nla_str(IFLA_INFO_KIND, 'veth') + nla(IFLA_INFO_DATA, peer)))


def sim_link_messages(eth0, local, peer):
    """eth0 in the simulator's namespace, once made: `addr add <local> peer <peer>`, up."""
    addr = struct.pack('=BBBBI', socket.AF_INET, 32, 0, RT_SCOPE_UNIVERSE, eth0) + nla(IFA_LOCAL, ip4(local)) + nla(IFA_ADDRESS, ip4(peer))
    return [(RTM_NEWADDR, CREATE, addr), link_up(eth0)]


def sandbox_link_messages(index, local, peer):
    """The sample's end, eth0 in its namespace: no IPv6 address ever (addrgenmode none, set while
    it is down), `addr add <local> peer <peer>`, up, `default via <peer> onlink`."""
    af6 = nla(IFLA_AF_SPEC, nla(socket.AF_INET6, nla(IFLA_INET6_ADDR_GEN_MODE, bytes([IN6_ADDR_GEN_MODE_NONE]))))
    mode = (RTM_NEWLINK, 0, ifinfomsg(index) + af6)
    addr = struct.pack('=BBBBI', socket.AF_INET, 32, 0, RT_SCOPE_UNIVERSE, index) + nla(IFA_LOCAL, ip4(local)) + nla(IFA_ADDRESS, ip4(peer))
    route = struct.pack('=BBBBBBBBI', socket.AF_INET, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST, RTNH_F_ONLINK)
    route += nla(RTA_GATEWAY, ip4(peer)) + nla_u32(RTA_OIF, index)
    return [mode, (RTM_NEWADDR, CREATE, addr), link_up(index), (RTM_NEWROUTE, CREATE, route)]


def tproxy_rules(port):
    """The simulator's two TPROXY rules (iptables-restore input): every TCP connection and every UDP
    datagram but DNS arriving on eth0 goes to the transparent sockets on `port`."""
    rule = '-A PREROUTING -i eth0 -p %s -j TPROXY --on-port %d --on-ip 0.0.0.0 --tproxy-mark 0x1/0x1'
    return '\n'.join(['*mangle', rule % ('tcp', port), rule % ('udp ! --dport 53', port), 'COMMIT', ''])


class Netlink:
    """A NETLINK_ROUTE socket in the namespace this process was in when it was made."""

    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        self.s.settimeout(2.0)
        self.s.bind((0, 0))
        self.seq = 0

    def send(self, msg):
        mtype, flags, body = msg
        self.seq += 1
        self.s.send(struct.pack('=IHHII', 16 + len(body), mtype, flags | NLM_F_REQUEST | NLM_F_ACK, self.seq, 0) + body)
        while True:
            data = self.s.recv(65536)
            off = 0
            while off + 20 <= len(data):
                length, typ, _fl, seq, _pid = struct.unpack_from('=IHHII', data, off)
                if typ == NLMSG_ERROR and seq == self.seq:
                    err = struct.unpack_from('=i', data, off + 16)[0]
                    if err:
                        raise OSError(-err, 'rtnetlink %d: %s' % (mtype, os.strerror(-err)))
                    return
                if length < 16:
                    break
                off += (length + 3) & ~3

    def close(self):
        self.s.close()


# ----------------------------------------------------------------------------- zygote
# A long-lived process (one per worker) that has imported everything and loaded the assets once, and
# forks one simulator per analysis on request (the ~25 ms of Python start-up, once per worker, not
# per analysis). It listens on an abstract unix socket (its own worker only); each request is one
# connection, and a forked simulator keeps that connection as its control channel and capture
# stream (its stdin/stdout), so no two simulators share a socket and nothing of one reaches the
# next. Requests:
#   `sim <json>`              -> a simulator: `ready <pid>` (or `error <text>`), then as today
#   `attach <simpid> <pid>`   -> a veth pair between the two namespaces, set up: `ok` / `error <text>`
# On its stdout: `ready` once listening, `exit <pid> <status>` per child it reaps. EOF on its stdin
# (the worker went away) ends it; its simulators end when their own connections close.

CLONE_NEWNET = 0x40000000
PR_SET_NAME = 15
REQUEST_CAP = 64 * 1024
ZYGOTE_ARG_ROOM = 512


def parse_request(line):
    """('sim', cfg dict) | ('attach', simpid, pid) from a request line; raises ParseError otherwise."""
    if len(line) > REQUEST_CAP:
        raise ParseError('request too long')
    text = line.decode('utf-8', 'replace').strip()
    word, _, rest = text.partition(' ')
    if word == 'sim':
        try:
            req = json.loads(rest)
        except ValueError:
            raise ParseError('bad sim request')
        if not isinstance(req, dict) or not isinstance(req.get('lifetime'), (int, float)) or not isinstance(req.get('deadline'), str) or len(req['deadline']) > 64:
            raise ParseError('sim request needs lifetime and deadline')
        return ('sim', {'lifetime': min(max(float(req['lifetime']), 1.0), 86400.0), 'deadline': req['deadline']})
    if word == 'attach':
        parts = rest.split(' ')
        if len(parts) == 2 and all(p.isdigit() and 1 < int(p) < 1 << 22 for p in parts):
            return ('attach', int(parts[0]), int(parts[1]))
        raise ParseError('attach needs two pids')
    raise ParseError('unknown request')


def sim_cmdline_arg(cfg, req):
    """The argument a forked simulator shows in /proc/<pid>/cmdline: the reaper's mark and deadline."""
    return json.dumps({'mark': cfg.get('mark'), 'role': 'sim', 'deadline': req['deadline']}, separators=(',', ':'))


def set_last_arg(text):
    """Rewrites this process's last argument in place (/proc/self/cmdline, what `ps` shows), as
    setproctitle(3) does: a forked simulator carries its own mark and deadline for the reaper. The
    zygote's argument reserves the room (`pad`)."""
    with open('/proc/self/stat', 'rb') as f:
        stat = f.read()
    fields = stat[stat.rindex(b')') + 2:].split()
    arg_start, arg_end = int(fields[45]), int(fields[46])
    with open('/proc/self/cmdline', 'rb') as f:
        cur = f.read()
    last = cur.rstrip(b'\0').rfind(b'\0') + 1
    room = arg_end - arg_start - last - 1
    data = text.encode('utf-8')
    if len(data) > room:
        raise ValueError('no room for the simulator\'s argument')
    with open('/proc/self/mem', 'r+b', buffering=0) as m:
        m.seek(arg_start + last)
        m.write(data + b'\0' * (room + 1 - len(data)))


class Zygote:
    def __init__(self, cfg):
        import ctypes
        import signal
        import subprocess
        self.signal = signal
        self.subprocess = subprocess
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.ctypes = ctypes
        self.cfg = cfg
        self.assets = load_assets(cfg)
        self.mark = cfg.get('mark', '')

    def call(self, fn, *args):
        if fn(*args) != 0:
            e = self.ctypes.get_errno()
            raise OSError(e, os.strerror(e))

    def setns(self, fd):
        self.call(self.libc.setns, fd, CLONE_NEWNET)

    def serve(self):
        signal = self.signal
        # Two names for one service: Node (libuv) connects to an abstract address padded with NULs to
        # the whole sun_path; other clients use the exact name.
        listeners = []
        for name in ('\0' + self.cfg['socket'], ('\0' + self.cfg['socket']).ljust(108, '\0')):
            lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            lst.bind(name)
            lst.listen(64)
            listeners.append(lst)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.fds = (*listeners, wake_r, wake_w)
        os.write(1, b'ready\n')
        while True:
            try:
                ready, _, _ = select.select([0, wake_r, *listeners], [], [], 5.0)
            except InterruptedError:
                ready = []
            if wake_r in ready:
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
            self.reap()
            if 0 in ready and not os.read(0, 4096):
                os._exit(0)
            for lst in listeners:
                if lst not in ready:
                    continue
                try:
                    conn, _ = lst.accept()
                except OSError:
                    continue
                try:
                    self.handle(conn)
                except (OSError, ParseError, ValueError) as e:
                    try:
                        conn.sendall(('error %s\n' % str(e)[:300]).encode('utf-8', 'replace'))
                    except OSError:
                        pass
                finally:
                    conn.close()

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if os.WIFSIGNALED(status):
                how = self.signal.Signals(os.WTERMSIG(status)).name
            else:
                how = 'code %d' % os.waitstatus_to_exitcode(status)
            os.write(1, ('exit %d %s\n' % (pid, how)).encode('ascii'))

    def handle(self, conn):
        # Only the worker that started this zygote may ask (an abstract socket is visible to every
        # process in the host's network namespace, root in a host-network container included).
        peer_pid, uid = struct.unpack('=3i', conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[:2]
        if uid != os.getuid() or peer_pid != os.getppid():
            raise ParseError('peer is not the worker that started the zygote')
        conn.settimeout(2.0)
        line = b''
        while not line.endswith(b'\n'):
            chunk = conn.recv(4096)
            if not chunk:
                raise ParseError('no request')
            line += chunk
            if len(line) > REQUEST_CAP:
                raise ParseError('request too long')
        req = parse_request(line)
        conn.setblocking(True)
        pid = os.fork()
        if pid:
            return
        # The child: a fresh copy of the zygote, which keeps nothing of the zygote's but its memory.
        code = 1
        try:
            self.signal.set_wakeup_fd(-1)
            self.signal.signal(self.signal.SIGCHLD, self.signal.SIG_DFL)
            for f in self.fds:
                f.close() if hasattr(f, 'close') else os.close(f)
            if req[0] == 'sim':
                self.simulator(conn, req[1])
            else:
                self.attach(req[1], req[2])
                conn.sendall(b'ok\n')
                code = 0
        except BaseException as e:  # noqa: B036 - reported to the worker, then the child ends
            try:
                conn.sendall(('error %s\n' % str(e).replace('\n', ' ')[:300]).encode('utf-8', 'replace'))
            except OSError:
                pass
        os._exit(code)

    def simulator(self, conn, req):
        """What `unshare --net … netsim.py` did: a network namespace of its own, set up; bind; chroot,
        drop to nobody; serve. The request's connection becomes stdin/stdout."""
        cfg = dict(self.cfg, lifetime=req['lifetime'], deadline=req['deadline'])
        set_last_arg(sim_cmdline_arg(self.cfg, req))
        self.call(self.libc.prctl, PR_SET_NAME, b'netsim', 0, 0, 0)
        os.dup2(conn.fileno(), 0)
        os.dup2(conn.fileno(), 1)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        conn.close()
        sys.stdin = open(0, 'r', encoding='utf-8', errors='replace', closefd=False)
        self.call(self.libc.unshare, CLONE_NEWNET)
        nl = Netlink()
        try:
            for msg in sim_netns_messages(socket.if_nametoindex('lo')):
                nl.send(msg)
        finally:
            nl.close()
        done = self.subprocess.run(['iptables-restore'], input=tproxy_rules(cfg['port']).encode(), stdout=self.subprocess.DEVNULL, stderr=self.subprocess.PIPE, timeout=10)
        if done.returncode != 0:
            raise OSError('iptables-restore: %s' % done.stderr.decode('utf-8', 'replace').strip()[:200])
        run_simulator(cfg, self.assets, ready='ready %d' % os.getpid())

    def attach(self, simpid, pid):
        """Joins simulator <simpid>'s namespace to <pid>'s with a veth pair made straight into the
        two, and sets both ends up. Never into this process' own namespace (the host's) or the
        simulator's; once per simulator (a second pair would clash on eth0)."""
        with open('/proc/%d/cmdline' % simpid, 'rb') as f:
            args = f.read().split(b'\0')
        if not any(a.startswith(b'{') and b'"role":"sim"' in a and ('"mark":"%s"' % self.mark).encode() in a for a in args):
            raise ParseError('process %d is not a simulator' % simpid)
        sim_fd = os.open('/proc/%d/ns/net' % simpid, os.O_RDONLY)
        box_fd = os.open('/proc/%d/ns/net' % pid, os.O_RDONLY)
        own = os.stat('/proc/self/ns/net').st_ino
        box = os.fstat(box_fd).st_ino
        if box in (own, os.fstat(sim_fd).st_ino):
            raise ParseError('process %d is not in a network namespace of its own' % pid)
        self.setns(sim_fd)
        in_sim = Netlink()
        in_sim.send(veth_pair_message(box_fd))
        for msg in sim_link_messages(socket.if_nametoindex('eth0'), self.cfg['ip4'], self.cfg['peer4']):
            in_sim.send(msg)
        self.setns(box_fd)
        in_box = Netlink()
        for msg in sandbox_link_messages(socket.if_nametoindex('eth0'), self.cfg['peer4'], self.cfg['ip4']):
            in_box.send(msg)


def drop_privileges(cfg):
    if os.getuid() != 0:
        return  # started unprivileged (a Kubernetes pod running as nobody)
    root = cfg.get('chroot')
    if root:
        os.chroot(root)
        os.chdir('/')
    os.setgroups([])
    os.setgid(cfg.get('gid', 65534))
    os.setuid(cfg.get('uid', 65534))


def control(sim, capture, timer):
    for line in sys.stdin:
        words = line.split()
        if words == ['no-ipv6']:
            # The sample's namespace has IPv6 switched off: AAAA queries get no address it cannot reach.
            sim.ip6 = None
        elif len(words) == 2 and words[0] == 'lease':
            # Leased for one analysis: live for its window (and grace) from now.
            timer.cancel()
            timer = threading.Timer(min(float(words[1]), 86400.0), lambda: os._exit(3))
            timer.daemon = True
            timer.start()
        elif words == ['ping']:
            sim.flush_all()
            capture.say('ok %d %d' % (capture.records, capture.dropped))
    os._exit(0)


def run_simulator(cfg, assets=None, ready='ready'):
    threading.stack_size(256 * 1024)
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_CONNS * 2 + 64, MAX_CONNS * 2 + 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    capture = Capture(int(cfg.get('captureFd', 1)))
    sim = Sim(cfg, capture, assets)
    socks = sim.bind()
    drop_privileges(cfg)
    sim.serve(socks)
    lifetime = float(cfg.get('lifetime', 600))
    timer = threading.Timer(lifetime, lambda: os._exit(3))
    timer.daemon = True
    timer.start()
    if cfg.get('control', True):
        capture.say(ready)
        control(sim, capture, timer)
    else:
        threading.Event().wait()


def main():
    cfg = json.loads(sys.argv[1])
    if cfg.get('role') == 'zygote':
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        Zygote(cfg).serve()
    else:
        run_simulator(cfg)


if __name__ == '__main__':
    main()
