#!/bin/sh
# serve-overhead: time from `localmodel serve` to a healthy endpoint, against
# the same llama-server started directly and polled for /health (median over
# runs), and the supervisor's resident memory.
#   scripts/bench/serve-overhead.sh [LLAMA_SERVER [MODEL.gguf]]
# Defaults: the fake llama-server of the tests and a tiny generated model.
# RUNS=N (21) sets the number of runs.
set -eu
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${LOCALMODEL_BIN:-$SRC_DIR/localmodel}
LLAMA=${1:-$SRC_DIR/tests/fixtures/fake-llama-server}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lm-bench.XXXXXX")
trap 'LOCALMODEL_HOME=$TMP/home "$BIN" stop --all >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
MODEL=${2:-}
if [ -z "$MODEL" ]; then
	MODEL=$TMP/tiny.gguf
	python3 "$SRC_DIR/tests/fixtures/mkgguf.py" "$MODEL" >/dev/null
fi
[ -x "$BIN" ] || { echo "serve-overhead: build localmodel first (make)" >&2; exit 1; }

LOCALMODEL_HOME=$TMP/home LOCALMODEL_LLAMA_SERVER=$LLAMA BIN=$BIN LLAMA=$LLAMA MODEL=$MODEL \
RUNS=${RUNS:-21} python3 - <<'PY'
import os, socket, statistics, subprocess, time, json

BIN, LLAMA, MODEL, RUNS = os.environ["BIN"], os.environ["LLAMA"], os.environ["MODEL"], int(os.environ["RUNS"])

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def healthy(port):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=1)
        c.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = c.recv(64); c.close()
        return data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200")
    except OSError:
        return False

def direct(port):
    """llama-server started directly, /health polled every millisecond."""
    t0 = time.monotonic()
    p = subprocess.Popen([LLAMA, "-m", MODEL, "--host", "127.0.0.1", "--port", str(port), "-c", "4096",
                          "--jinja", "--metrics"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not healthy(port):
        time.sleep(0.001)
    t = time.monotonic() - t0
    p.terminate(); p.wait()
    return t

def via_localmodel(port):
    t0 = time.monotonic()
    out = subprocess.run([BIN, "--json", "serve", MODEL, "--port", str(port)], check=True,
                         capture_output=True).stdout
    t = time.monotonic() - t0
    pid = json.loads(out)["pid"]
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    subprocess.run([BIN, "stop", "--port", str(port)], check=True, capture_output=True)
    return t, rss

d, l, r = [], [], []
for i in range(RUNS):
    # alternate which goes first, so that a warm cache favours neither
    if i % 2:
        t, rss = via_localmodel(free_port())
        d.append(direct(free_port()))
    else:
        d.append(direct(free_port()))
        t, rss = via_localmodel(free_port())
    l.append(t); r.append(rss)
md, ml = statistics.median(d) * 1000, statistics.median(l) * 1000
over = [(b - a) * 1000 for a, b in zip(d, l)]
print("serve-ready: localmodel %.1f ms, direct llama-server %.1f ms, ratio %.2fx (median of %d)"
      % (ml, md, ml / md, RUNS))
print("serve-overhead: %.1f ms median of the paired differences (target < 50 ms), min %.1f ms, max %.1f ms; load %.2f"
      % (statistics.median(over), min(over), max(over), os.getloadavg()[0]))
mr = statistics.median(r) / 1048576.0
print("supervisor-rss: %.2f MiB median (target < 4 MiB), ratio to target %.2fx" % (mr, mr / 4.0))
PY
