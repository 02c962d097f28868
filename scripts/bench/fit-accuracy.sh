#!/bin/sh
# fit-accuracy: compare fit's memory estimate for a model on the CPU with the
# resident memory of a llama-server that loaded it, and print the ratio.
# The target is within 15% (ratio 0.85..1.15).
#
# usage: scripts/bench/fit-accuracy.sh [--server BIN] [--model FILE.gguf] [--ctx N]
#   --server BIN   llama-server to measure (default: runtime/current/llama-server
#                  in localmodel's data directory, i.e. what `localmodel install`
#                  installed; $LOCALMODEL_HOME/runtime/current/llama-server when
#                  LOCALMODEL_HOME is set)
#   --model FILE   a GGUF model (default: a 1.1B llama written by
#                  tests/fixtures/mkgguf.py, Q8_0 zero weights, 1.2 GB sparse)
#   --ctx N        context size (default 4096)
# LLAMA_ARGS='--no-repack' passes flags to llama-server (a CPU with AMX or
# repackable quants otherwise holds the weights twice: see the second line)
# Needs a built tree (make) for the estimate; runs the server on 127.0.0.1
# with -ngl 0, one slot, and stops it after reading /proc/PID/status.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
ctx=4096
model=
server=
while [ $# -gt 0 ]; do
	case $1 in
	--server) server=$2; shift 2 ;;
	--model) model=$2; shift 2 ;;
	--ctx) ctx=$2; shift 2 ;;
	*) echo "usage: $0 [--server BIN] [--model FILE.gguf] [--ctx N]" >&2; exit 2 ;;
	esac
done

if [ -z "$server" ]; then
	if [ -n "${LOCALMODEL_HOME:-}" ]; then
		data=$LOCALMODEL_HOME
	else
		data=${XDG_DATA_HOME:-$HOME/.local/share}/localmodel
	fi
	server=$data/runtime/current/llama-server
fi
if [ ! -x "$server" ]; then
	echo "fit-accuracy: skipped: no llama-server at $server" \
		"(install one with 'localmodel install', or pass --server BIN)"
	exit 0
fi
if ! "$server" --version 2>&1 | grep -q '^version: '; then
	echo "fit-accuracy: skipped: $server does not answer --version like llama-server"
	exit 0
fi
for o in gguf fit hw base; do
	if [ ! -f "$SRC/$BUILD/src/$o.o" ]; then
		echo "fit-accuracy: build the tree first (make)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fit-accuracy.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

if [ -z "$model" ]; then
	model=$tmp/bench-1b.gguf
	python3 "$SRC/tests/fixtures/mkgguf.py" "$model" --layers 16 --embd 2048 --heads 32 \
		--heads-kv 8 --ff 8192 --vocab 32000 --ctx 131072 --file-type 7 >/dev/null || exit 1
fi

# The estimate: a small program on the layers of this tree.
cat >"$tmp/estimate.c" <<'EOF'
#include "localmodel/fit.h"
#include "localmodel/gguf.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	struct lm_gguf g;
	struct lm_fit_model m;
	struct lm_fit_machine mc;
	struct lm_fit_opts o;
	struct lm_fit_result r;
	struct lm_err err = { 0 };

	if (argc < 3 || gguf_read_model(argv[1], &g, &err) || fit_model_from_gguf(&m, &g, &err)) {
		fprintf(stderr, "estimate: %s\n", err.msg);
		return 1;
	}
	fit_machine_from_sizes(&mc, 1ull << 50, 0, 0);
	fit_opts_default(&o);
	o.ctx = (uint32_t)atol(argv[2]);
	o.reserve_bytes = 0;
	o.gpu_layers = 0;
	fit_estimate(&m, &mc, &o, &r, &err);
	printf("%llu %llu\n", (unsigned long long)r.total_bytes, (unsigned long long)g.weight_bytes);
	gguf_release(&g);
	return 0;
}
EOF
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -D_GNU_SOURCE -I"$SRC/include" $(pkg-config --cflags libcjson) \
	-o "$tmp/estimate" "$tmp/estimate.c" "$SRC/$BUILD/src/gguf.o" "$SRC/$BUILD/src/fit.o" \
	"$SRC/$BUILD/src/hw.o" "$SRC/$BUILD/src/base.o" $(pkg-config --libs libcjson) -ldl -lm || exit 1
set -- $("$tmp/estimate" "$model" "$ctx") || exit 1
estimate=$1

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# LLAMA_ARGS: more llama-server flags, e.g. --no-repack to keep one copy of the weights
# shellcheck disable=SC2086
"$server" -m "$model" -c "$ctx" -ngl 0 -np 1 --host 127.0.0.1 --port "$port" ${LLAMA_ARGS:-} \
	>"$tmp/server.log" 2>&1 &
pid=$!
i=0
until python3 -c 'import sys, urllib.request as u; u.urlopen("http://127.0.0.1:%s/health" % sys.argv[1], timeout=1)' \
	"$port" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "fit-accuracy: llama-server did not become ready; its log:" >&2
		tail -n 20 "$tmp/server.log" >&2
		exit 1
	fi
	sleep 0.1
done
rss_kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status")
anon_kb=$(sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status")
rss=$((rss_kb * 1024))
anon=$((${anon_kb:-0} * 1024))
# A CPU with AMX (or llama.cpp's CPU_REPACK types) keeps a repacked copy of
# the weights in anonymous memory while the mapped file's pages stay
# resident as reclaimable page cache; say so when the log shows it.
extra=$(grep -o '[A-Z_]*REPACK model buffer size\|AMX model buffer size' "$tmp/server.log" | head -n 1)
python3 - "$estimate" "$rss" "$ctx" "$anon" "$extra" <<'EOF'
import sys
est, rss, ctx, anon, extra = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
print("fit-accuracy (CPU, ctx %s): estimate %.2f GB, llama-server RSS %.2f GB, ratio %.2fx"
      % (ctx, est / 2**30, rss / 2**30, est / rss))
if anon and extra:
    print("fit-accuracy anonymous memory (CPU, ctx %s): estimate %.2f GB, RssAnon %.2f GB, ratio %.2fx%s"
          % (ctx, est / 2**30, anon / 2**30, est / anon,
             " (weights repacked: %s)" % extra.split(" model")[0] if extra else ""))
EOF
