#!/usr/bin/python3 -I -S
"""Quarantine's network simulator: the only peer a sandbox can reach (issue 11).

Started by the worker (libs/sandbox/src/network/simulated-network.ts) as `unshare --net -- sh -c
<set-up> … python3 -I -S netsim.py CONFIG_JSON`: a shell sets up a network namespace of its own
(with a veth pair whose other end the worker later moves into the sample's namespace: no bridge,
no host address, no route out) and execs this. In that namespace every address arriving on the link is local
(`ip rule iif <link> lookup 100`, `local 0.0.0.0/0 dev lo table 100`) and TPROXY hands every TCP
connection and every UDP datagram (but DNS) to two transparent sockets here, whose local address is
the ORIGINAL destination (a literal IP, any port). UDP 53 reaches the DNS socket directly.

Serves: DNS (every name: A -> the simulator; AAAA when `ip6` is configured), HTTP on any port (sniffed, not by port), TLS on
any port (self-signed; SNI/ALPN from the ClientHello, then HTTP inside when the client accepts the
certificate), a catch-all that keeps the first bytes of any other TCP connection or UDP datagram
(SMTP/FTP ports get a `220` greeting first, so a client says HELO). Records one NetCapture JSON line
per exchange (libs/analysis/src/network/capture.ts) on stdout, which the worker appends to the
analysis' capture file (in Kubernetes, the pod log).

A hostile sample talks to this: every buffer is bounded, every connection has a deadline, at most
MAX_CONNS connections are served at once, the capture file has a byte cap. After binding (as root,
IP_TRANSPARENT needs CAP_NET_ADMIN) it chroots into an empty directory and drops to nobody.
Control on stdin/stdout: `lease <seconds>` (taken from the warm pool: live that long from now),
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


class Sim:
    def __init__(self, cfg, capture):
        self.cfg = cfg
        self.capture = capture
        self.ip4 = cfg.get('ip4')
        self.ip6 = cfg.get('ip6')
        self.slots = threading.BoundedSemaphore(MAX_CONNS)
        self.active = set()
        self.active_lock = threading.Lock()
        self.payloads = {}
        with open(os.path.join(cfg['assets'], 'payload.elf'), 'rb') as f:
            self.payloads['elf'] = (f.read(), 'application/octet-stream')
        self.payloads['script'] = (b'#!/bin/sh\necho "quarantine-netsim: simulated script payload"\nexit 0\n', 'text/x-shellscript')
        self.payloads['html'] = (b'<!doctype html><html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>\n', 'text/html')
        self.payloads['text'] = (b'ok\n', 'text/plain')
        self.payloads['none'] = (b'', 'text/plain')
        self.sha = {k: hashlib.sha256(v[0]).hexdigest() for k, v in self.payloads.items()}
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(os.path.join(cfg['assets'], 'cert.pem'), os.path.join(cfg['assets'], 'key.pem'))
        self.tls.set_alpn_protocols(['http/1.1'])
        # Any client the sample carries (busybox's wget sends no signature_algorithms, old malware
        # speaks TLS 1.0): the point is to see the request, not to protect it.
        self.tls.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        self.tls.set_ciphers('ALL:@SECLEVEL=0')

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
            # Taken from the warm pool for one analysis: live for its window (and grace) from now.
            timer.cancel()
            timer = threading.Timer(min(float(words[1]), 86400.0), lambda: os._exit(3))
            timer.daemon = True
            timer.start()
        elif words == ['ping']:
            sim.flush_all()
            capture.say('ok %d %d' % (capture.records, capture.dropped))
    os._exit(0)


def main():
    cfg = json.loads(sys.argv[1])
    threading.stack_size(256 * 1024)
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_CONNS * 2 + 64, MAX_CONNS * 2 + 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    capture = Capture(int(cfg.get('captureFd', 1)))
    sim = Sim(cfg, capture)
    socks = sim.bind()
    drop_privileges(cfg)
    sim.serve(socks)
    lifetime = float(cfg.get('lifetime', 600))
    timer = threading.Timer(lifetime, lambda: os._exit(3))
    timer.daemon = True
    timer.start()
    if cfg.get('control', True):
        capture.say('ready')
        control(sim, capture, timer)
    else:
        threading.Event().wait()


if __name__ == '__main__':
    main()
