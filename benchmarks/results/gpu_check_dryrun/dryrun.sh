set -u
cd /work/wt/i27
echo "## inside: unshare -n (a new network namespace: only a downed loopback)"
echo "\$ ip -o link 2>/dev/null || cat /proc/net/dev"; (ip -o link 2>/dev/null || cat /proc/net/dev)
echo "\$ python3.12 -c 'socket.create_connection((\"pypi.org\", 443), timeout=5)'"
/tmp/i27/img312/bin/python -c 'import socket
try:
    socket.create_connection(("pypi.org", 443), timeout=5); print("CONNECTED (network reachable!)")
except OSError as e:
    print("refused:", e)'
echo "\$ python3.12 -c 'import av' (the interpreter standing in for the GPU image has no av/diffusers/omegaconf)"
/tmp/i27/img312/bin/python -c 'import av' 2>&1 | tail -1
/tmp/i27/img312/bin/python -c 'import diffusers' 2>&1 | tail -1
echo "\$ PY=python3.12 OUT=benchmarks/results/gpu_check_dryrun bash benchmarks/gpu_check.sh --small --device cpu --no-network --repeats 1"
PY=/tmp/i27/img312/bin/python OUT=benchmarks/results/gpu_check_dryrun bash benchmarks/gpu_check.sh --small --device cpu --no-network --repeats 1
echo "exit: $?"
