#!/bin/sh
test_description='the memory-aware router: room made before a load (LRU), keep, guard unloads first'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
export LOCALMODEL_GUARD_INTERVAL_MS=200 LOCALMODEL_GUARD_SETTLE_MS=1000 LOCALMODEL_GUARD_REARM_MS=1500
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
cp -R "$FIXTURES/sysroot/laptop-8g" "$TRASH/sys"
mkdir -p "$TRASH/sys/proc/pressure"
printf "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n" >"$TRASH/sys/proc/pressure/memory"
export LOCALMODEL_SYSROOT="$TRASH/sys"
# available KB: set MemAvailable (what a loaded model took is taken from it)
available() {
	sed "s/^MemAvailable:.*/MemAvailable: $1 kB/" "$TRASH/sys/proc/meminfo" >"$TRASH/m" &&
	mv "$TRASH/m" "$TRASH/sys/proc/meminfo"
}
swap() {
	sed "s/^SwapFree:.*/SwapFree: $1 kB/" "$TRASH/sys/proc/meminfo" >"$TRASH/m" &&
	mv "$TRASH/m" "$TRASH/sys/proc/meminfo"
}
# loaded: the router's loaded models, sorted, one a line
loaded() {
	python3 -c '
import json, sys, urllib.request
d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/models" % sys.argv[1], timeout=5))
print("\n".join(sorted(m["id"] for m in d["data"] if m["status"]["value"] == "loaded")))' "$PORT"
}
LOG="$LOCALMODEL_HOME/logs/server-\$PORT.log"
PORT=$(free_port)
P2=$(free_port)
# three models of 1.5 GB of weights each (sparse)
for n in x y z; do
	python3 "$FIXTURES/mkgguf.py" "$TRASH/$n.gguf" --layers 10 --embd 4096 --ff 14336 --vocab 32000 \
		--heads 32 --heads-kv 8 --ctx 32768 >/dev/null
done
available 4194304

test_expect_success 'setup: three installed models' '
	test_expect_code 3 localmodel serve --all --port $PORT 2>/dev/null &&
	add_model org/x-GGUF:Q4_K_M "$TRASH/x.gguf" &&
	add_model org/y-GGUF:Q4_K_M "$TRASH/y.gguf" &&
	add_model org/z-GGUF:Q4_K_M "$TRASH/z.gguf"
'

test_expect_success 'a load that does not fit unloads the least recently used idle model first' '
	localmodel serve --all --max-loaded 3 --ctx 4096 --port $PORT >/dev/null &&
	test "$(chat_status $PORT org/x-GGUF:Q4_K_M)" = 200 &&
	test "$(chat_status $PORT org/z-GGUF:Q4_K_M)" = 200 &&
	test "$(chat_status $PORT org/x-GGUF:Q4_K_M)" = 200 &&
	available 2621440 &&
	test "$(chat_status $PORT org/y-GGUF:Q4_K_M)" = 200 &&
	log=$(eval echo "$LOG") &&
	wait_until 10 "grep -q \"memory guard: unloaded .org/z-GGUF:Q4_K_M.\" \"$log\"" &&
	test_grep "unloaded .org/z-GGUF:Q4_K_M. on port $PORT: to make room for .org/y-GGUF:Q4_K_M. (needs 1.[0-9] GB, 512.0 MB available)" "$log" &&
	loaded >l &&
	printf "org/x-GGUF:Q4_K_M\norg/y-GGUF:Q4_K_M\n" >want &&
	test_cmp want l &&
	localmodel status --json >st &&
	test "$(json_get st "[\"servers\"][0][\"guard\"][\"action\"]")" = unloaded &&
	test "$(json_get st "[\"servers\"][0][\"guard\"][\"model\"]")" = org/z-GGUF:Q4_K_M &&
	localmodel stop --port $PORT >/dev/null
'

test_expect_success 'a model marked to stay is passed over' '
	available 4194304 &&
	localmodel serve --all --max-loaded 3 --ctx 4096 --port $PORT --keep org/x-GGUF:Q4_K_M >/dev/null &&
	test "$(chat_status $PORT org/z-GGUF:Q4_K_M)" = 200 &&
	test "$(chat_status $PORT org/x-GGUF:Q4_K_M)" = 200 &&
	available 2621440 &&
	test "$(chat_status $PORT org/y-GGUF:Q4_K_M)" = 200 &&
	log=$(eval echo "$LOG") &&
	wait_until 10 "grep -q \"memory guard: unloaded .org/z-GGUF:Q4_K_M.\" \"$log\"" &&
	loaded >l &&
	printf "org/x-GGUF:Q4_K_M\norg/y-GGUF:Q4_K_M\n" >want &&
	test_cmp want l
'

test_expect_success 'past the limits the guard unloads idle models, never the kept one nor the router' '
	swap 10000 &&
	log=$(eval echo "$LOG") &&
	wait_until 10 "grep -q \"memory guard: unloaded .org/y-GGUF:Q4_K_M. on port $PORT: swap\" \"$log\"" &&
	printf "some avg10=90.00 avg60=0.00 avg300=0.00 total=9\n" >"$TRASH/sys/proc/pressure/memory" &&
	wait_until 10 "grep -q \"but nothing may be given up\" \"$log\"" &&
	loaded >l &&
	echo org/x-GGUF:Q4_K_M >want &&
	test_cmp want l &&
	test -e "$LOCALMODEL_HOME/run/server-$PORT.state"
'

test_expect_success 'a load counts what the other servers will still grow to' '
	swap 2000000 &&
	printf "some avg10=0.00 avg60=0.00 avg300=0.00 total=9\n" >"$TRASH/sys/proc/pressure/memory" &&
	localmodel stop --port $PORT >/dev/null &&
	available 4194304 &&
	log=$(eval echo "$LOG") &&
	n=$(($(wc -l <"$log") + 1)) &&
	localmodel serve --all --max-loaded 3 --ctx 4096 --port $PORT >/dev/null &&
	test "$(chat_status $PORT org/x-GGUF:Q4_K_M)" = 200 &&
	test "$(chat_status $PORT org/z-GGUF:Q4_K_M)" = 200 &&
	tail -n +$n "$log" >new &&
	test_grep -v "to make room" new &&
	localmodel serve ./y.gguf --port $P2 --ctx 4096 >/dev/null &&
	test "$(chat_status $PORT org/y-GGUF:Q4_K_M)" = 200 &&
	wait_until 10 "tail -n +$n \"$log\" | grep -q \"memory guard: unloaded .org/x-GGUF:Q4_K_M.\"" &&
	tail -n +$n "$log" >new &&
	test_grep "to make room for .org/y-GGUF:Q4_K_M. (needs 1.[0-9] GB, [0-9.]* MB available)" new &&
	localmodel stop --port $P2 >/dev/null
'

test_done
