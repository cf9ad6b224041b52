import {
  atFlags, cloneFlags, fcntlCmd, fdFlags, fileTypeMode, memfdFlags, mountFlags, nsFlags, octalMode, openFlags, signalName, socketProto, sockType,
} from './linux-constants.js';

// Expected strings are strace 6.1's own output on this machine for the same calls (a small C
// program run under `strace -e trace=openat,chmod,mknod,socket,pipe2,dup3,…`), so every probe that
// decodes numbers (bpftrace/libbpf, perf, ftrace) spells arguments exactly as the strace parser does.
describe('argument decoders (strace spelling)', () => {
  it('open flags in strace order, O_LARGEFILE shown, FASYNC, leftover bits in hex', () => {
    expect(openFlags(0o1101 | 0o2000 | 0o4000 | 0o100000 | 0o2000000)).toBe('O_WRONLY|O_CREAT|O_TRUNC|O_APPEND|O_NONBLOCK|O_LARGEFILE|O_CLOEXEC');
    expect(openFlags(0o4010000 | 0o400000 | 0o200000)).toBe('O_RDONLY|O_SYNC|O_NOFOLLOW|O_DIRECTORY');
    expect(openFlags(0o10000000)).toBe('O_RDONLY|O_PATH');
    expect(openFlags(2 | 0o200 | 0o20200000)).toBe('O_RDWR|O_EXCL|O_TMPFILE');
    expect(openFlags(2 | 0o400 | 0o10000 | 0o40000 | 0o1000000 | 0o20000 | 0x40000000)).toBe('O_RDWR|O_NOCTTY|O_DSYNC|O_DIRECT|O_NOATIME|FASYNC|0x40000000');
    expect(openFlags(0o4000 | 0o2000000 | 0o200000)).toBe('O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY');
    expect(openFlags(0o2000000 | 0o10000000)).toBe('O_RDONLY|O_CLOEXEC|O_PATH');
    expect(fdFlags(0o4000 | 0o2000000)).toBe('O_NONBLOCK|O_CLOEXEC');
    expect(fdFlags(0)).toBe('0');
  });
  it('modes as %#03o, mknod with its file type', () => {
    expect([0, 7, 0o644, 0o4755, 0o2755, 0o1777, 0o7000, 0o100644].map(octalMode)).toEqual(['000', '007', '0644', '04755', '02755', '01777', '07000', '0100644']);
    expect(fileTypeMode(0o10644)).toBe('S_IFIFO|0644');
    expect(fileTypeMode(0o644)).toBe('0644');
  });
  it('socket types (CLOEXEC before NONBLOCK), protocols by family', () => {
    expect(sockType(1 | 0o4000 | 0o2000000)).toBe('SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK');
    expect(sockType(2 | 0o2000000)).toBe('SOCK_DGRAM|SOCK_CLOEXEC');
    expect(sockType(5 | 0o4000)).toBe('SOCK_SEQPACKET|SOCK_NONBLOCK');
    expect(sockType(6)).toBe('SOCK_DCCP');
    expect(sockType(0o2000000)).toBe('SOCK_CLOEXEC');
    expect(socketProto(2, 0)).toBe('IPPROTO_IP');
    expect(socketProto(2, 17)).toBe('IPPROTO_UDP');
    expect(socketProto(1, 0)).toBe('0');
  });
  it('signals, namespaces, memfd, fcntl, mount and *at flags', () => {
    expect([9, 17, 34, 64, 0].map(signalName)).toEqual(['SIGKILL', 'SIGCHLD', 'SIGRT_2', 'SIGRT_32', '0']);
    expect(cloneFlags(0x1200011)).toBe('CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD');
    expect(nsFlags(0x40000000)).toBe('CLONE_NEWNET');
    expect(nsFlags(0)).toBe('0');
    expect(memfdFlags(3)).toBe('MFD_CLOEXEC|MFD_ALLOW_SEALING');
    expect([1030, 1033, 77].map(fcntlCmd)).toEqual(['F_DUPFD_CLOEXEC', 'F_ADD_SEALS', '77']);
    expect(mountFlags(4096 | 16384 | 64)).toBe('MS_MANDLOCK|MS_BIND|MS_REC');
    expect(atFlags(0x1000)).toBe('AT_EMPTY_PATH');
  });
});
