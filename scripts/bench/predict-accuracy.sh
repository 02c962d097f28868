#!/bin/sh
# predict-accuracy: localmodel's predictions against a real llama-server.
# For models of several shapes written by tests/fixtures/mkgguf.py (zero
# weights, real sizes) and two contexts, it prints what `localmodel models
# show PATH --json` predicts (fit.total_bytes, decode_tok_s, prompt_tok_s)
# next to what llama-server does: peak resident memory (VmHWM) after the
# first completion, and its own timings over REPEAT completions (median,
# with the spread). Targets: memory within 5%, decode within 15%, prompt
# within 35%.
#
# usage: scripts/bench/predict-accuracy.sh
#   LLAMA_SERVER=BIN  the llama-server to measure (default: the runtime
#                     `localmodel install` installed, runtime/current/ in
#                     localmodel's data directory)
#   SHAPES="0.5b 1b 3b"  CTXS="4096 16384"  QUANT=Q8_0 (or F16)  REPEAT=3
#   PROMPT=512 NPREDICT=64  tokens read and written per completion
#   CALIBRATE=1       measure this machine first (`recommend --calibrate`);
#                     by default the first prediction measures it anyway
#                     (the `calibrate` setting), unless CALIBRATE=0, which
#                     predicts from the chip table alone
# The server runs as serve runs it on a CPU: -ngl 0, one slot, flash
# attention, q8_0 KV. Needs a built tree (make) and python3.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LM=$SRC/${BUILD:-build}/localmodel
SHAPES=${SHAPES:-0.5b 1b 3b}
CTXS=${CTXS:-4096 16384}
QUANT=${QUANT:-Q8_0}
REPEAT=${REPEAT:-3}
PROMPT=${PROMPT:-512}
NPREDICT=${NPREDICT:-64}

server=${LLAMA_SERVER:-}
if [ -z "$server" ]; then
	if [ -n "${LOCALMODEL_HOME:-}" ]; then
		server=$LOCALMODEL_HOME/runtime/current/llama-server
	else
		server=${XDG_DATA_HOME:-$HOME/.local/share}/localmodel/runtime/current/llama-server
	fi
fi
if [ ! -x "$server" ]; then
	echo "predict-accuracy: skipped: no llama-server (set LLAMA_SERVER=BIN or 'localmodel install')" >&2
	exit 0
fi
if [ ! -x "$LM" ]; then
	echo "predict-accuracy: build the tree first (make)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/predict-accuracy.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
export LOCALMODEL_HOME=$tmp/home
mkdir -p "$LOCALMODEL_HOME"
case ${CALIBRATE:-} in
1) "$LM" recommend --calibrate --min-speed 0 >/dev/null || exit 1 ;;
0) export LOCALMODEL_CALIBRATE=0 ;;
esac

# shape NAME: mkgguf.py options of a model of that shape (public configs:
# Qwen2.5-0.5B, Llama-3.2-1B, Llama-3.2-3B; all as llama, whose tokenizer
# needs no merges table)
shape() {
	case $1 in
	0.5b) echo "--arch llama --layers 24 --embd 896 --heads 14 --heads-kv 2 --ff 4864 --vocab 151936" ;;
	1b) echo "--arch llama --layers 16 --embd 2048 --heads 32 --heads-kv 8 --ff 8192 --vocab 128256" ;;
	3b) echo "--arch llama --layers 28 --embd 3072 --heads 24 --heads-kv 8 --ff 8192 --vocab 128256" ;;
	*) echo "predict-accuracy: unknown shape $1" >&2; return 1 ;;
	esac
}

# serve_measure MODEL CTX OUT: start llama-server, run REPEAT completions,
# write "rss decode_median decode_min decode_max prompt_median prompt_min prompt_max"
serve_measure() {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$server" -m "$1" -c "$2" -ngl 0 -np 1 -fa on -ctk q8_0 -ctv q8_0 --host 127.0.0.1 \
		--port "$port" >"$tmp/server.log" 2>&1 &
	pid=$!
	python3 - "$port" "$pid" "$REPEAT" "$3" "$PROMPT" "$NPREDICT" <<'EOF'
import json, os, statistics, sys, time, urllib.request as u
port, pid, repeat, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
nprompt, npredict = int(sys.argv[5]), int(sys.argv[6])
base = "http://127.0.0.1:%s" % port
for _ in range(1200):
    try:
        if u.urlopen(base + "/health", timeout=1).status == 200:
            break
    except Exception:
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit("llama-server exited")
        time.sleep(0.1)
else:
    sys.exit("llama-server did not become ready")
def hwm():
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0
dec, pp, rss = [], [], 0
for i in range(repeat):
    # prompt tokens as ids, so that no tokenizer is involved
    body = {"prompt": [3 + (i * 7 + k) % 250 for k in range(nprompt)], "n_predict": npredict,
            "ignore_eos": True, "cache_prompt": False, "temperature": 0}
    req = u.Request(base + "/completion", json.dumps(body).encode(),
                    {"Content-Type": "application/json"})
    t = json.load(u.urlopen(req, timeout=600))["timings"]
    dec.append(t["predicted_per_second"])
    pp.append(t["prompt_per_second"])
    if i == 0:
        rss = hwm()
f = lambda v: "%.2f %.2f %.2f" % (statistics.median(v), min(v), max(v))
open(out, "w").write("%d %s %s\n" % (rss, f(dec), f(pp)))
EOF
	rc=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	if [ $rc -ne 0 ]; then
		echo "predict-accuracy: llama-server failed; its log:" >&2
		tail -n 15 "$tmp/server.log" >&2
	fi
	return $rc
}

echo "predict-accuracy: $("$server" --version 2>&1 | grep -m1 '^version'), $QUANT, $REPEAT runs of" \
	"$PROMPT+$NPREDICT tokens each," \
	"load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
printf '%-5s %6s | %9s %9s %6s | %7s %16s %6s | %7s %16s %6s\n' shape ctx mem-pred mem-meas err \
	dec-pr "dec-meas (range)" err pp-pr "pp-meas (range)" err
fail=0
for s in $SHAPES; do
	opts=$(shape "$s") || exit 1
	model=$tmp/$s.gguf
	# shellcheck disable=SC2086
	python3 "$SRC/tests/fixtures/mkgguf.py" "$model" $opts --ctx 131072 --file-type "$QUANT" \
		>/dev/null || exit 1
	for c in $CTXS; do
		"$LM" models show "$model" --ctx "$c" --json >"$tmp/show.json" || exit 1
		if ! serve_measure "$model" "$c" "$tmp/meas"; then
			fail=1
			continue
		fi
		python3 - "$tmp/show.json" "$tmp/meas" "$s" "$c" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))["fit"]
rss, dm, dlo, dhi, pm, plo, phi = map(float, open(sys.argv[2]).read().split())
err = lambda p, m: "%+5.1f%%" % ((p / m - 1) * 100) if m else "   n/a"
print("%-5s %6s | %7.0fMB %7.0fMB %6s | %7.1f %5.1f (%4.1f-%4.1f) %6s | %7.0f %5.0f (%4.0f-%4.0f) %6s"
      % (sys.argv[3], sys.argv[4], f["total_bytes"] / 1e6, rss / 1e6, err(f["total_bytes"], rss),
         f["decode_tok_s"], dm, dlo, dhi, err(f["decode_tok_s"], dm),
         f["prompt_tok_s"], pm, plo, phi, err(f["prompt_tok_s"], pm)))
EOF
	done
done
echo "predictions from: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fit"]["speed_source"])' "$tmp/show.json")"
exit $fail
