#!/bin/sh
test_description='the memory guard: stop as a last resort, keep, hysteresis, recovery, records'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
export LOCALMODEL_GUARD_INTERVAL_MS=200 LOCALMODEL_GUARD_SETTLE_MS=1000 LOCALMODEL_GUARD_REARM_MS=1500
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# a described 8 GB machine with 2 GB of swap: the guard acts above 90% of it
cp -R "$FIXTURES/sysroot/laptop-8g" "$TRASH/sys"
mkdir -p "$TRASH/sys/proc/pressure"
export LOCALMODEL_SYSROOT="$TRASH/sys"
RUN="$LOCALMODEL_HOME/run"
# swap KB_FREE: set SwapFree (of 2097148 kB)
swap() {
	sed "s/^SwapFree:.*/SwapFree: $1 kB/" "$TRASH/sys/proc/meminfo" >"$TRASH/m" &&
	mv "$TRASH/m" "$TRASH/sys/proc/meminfo"
}
# pressure AVG10: PSI's "some" line
pressure() {
	printf "some avg10=%s avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n" \
		"$1" >"$TRASH/p" &&
	mv "$TRASH/p" "$TRASH/sys/proc/pressure/memory"
}
up() {
	test -e "$RUN/server-$1.state"
}
down() {
	! test -e "$RUN/server-$1.state"
}
# status --json, then the value at a path of the server on PORT
server_get() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["servers"] if x["port"] == int(sys.argv[2])]
v = eval("s[0]" + sys.argv[3]) if s else "absent"
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2" "$3"
}
P1=$(free_port)
P2=$(free_port)
P3=$(free_port)
for n in a c k; do
	python3 "$FIXTURES/mkgguf.py" "$TRASH/$n.gguf" >/dev/null
done
swap 2000000
pressure 0.00

test_expect_success 'setup: two servers, one of them marked to stay' '
	localmodel serve ./a.gguf --port $P1 >/dev/null &&
	localmodel serve ./k.gguf --port $P2 --keep k >/dev/null &&
	grep "^keep=k$" "$RUN/server-$P2.state" &&
	localmodel status --json >st &&
	test "$(server_get st $P1 "[\"guard\"]")" = null &&
	json_get st "[\"memory\"][\"limits\"][\"swap_limit_bytes\"]" >lim &&
	test "$(cat lim)" = 1932731595
'

test_expect_success 'swap past the limit: the server not marked to stay is stopped within 10 s' '
	swap 100000 &&
	wait_until 10 "down $P1" &&
	up $P2 &&
	# whichever supervisor acted logs the action; the stopped one says why it ends
	cat "$LOCALMODEL_HOME/logs/server-$P1.log" "$LOCALMODEL_HOME/logs/server-$P2.log" >logs &&
	test_grep "memory guard: stopped .*a.gguf. on port $P1: swap 1.9 GB in use, limit 1.8 GB" logs &&
	test_grep "supervisor exits: stopped by the memory guard: swap" "$LOCALMODEL_HOME/logs/server-$P1.log"
'

test_expect_success 'status --json keeps the stopped server with its guard object' '
	localmodel status --json >st &&
	test "$(server_get st $P1 "[\"health\"]")" = stopped &&
	test "$(server_get st $P1 "[\"guard\"][\"action\"]")" = stopped &&
	server_get st $P1 "[\"guard\"][\"reason\"]" >reason &&
	test_grep "^swap 1.9 GB in use, limit 1.8 GB$" reason &&
	server_get st $P1 "[\"guard\"][\"at\"]" >at &&
	test_grep "^20[0-9-]*T[0-9:]*Z$" at &&
	test "$(server_get st $P2 "[\"guard\"]")" = null &&
	test "$(server_get st $P2 "[\"health\"]")" = ok &&
	json_get st "[\"memory\"][\"swap_used_bytes\"]" >used &&
	test "$(cat used)" = $(((2097148 - 100000) * 1024)) &&
	localmodel status >text &&
	test_grep "^memory: .*swap 1.9 GB used" text &&
	test_grep "^guard: *port $P1: stopped .*a.gguf. at .*: swap 1.9 GB in use" text
'

test_expect_success 'the database has the action and the session why it ended' '
	python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute(\"select port, action, reason, swap_used_bytes from guard_actions\").fetchall()
assert rows == [(int(sys.argv[2]), \"stopped\", \"swap 1.9 GB in use, limit 1.8 GB\", (2097148 - 100000) * 1024)], rows
end = db.execute(\"select end_reason from sessions where port = ?\", (int(sys.argv[2]),)).fetchone()[0]
assert end.startswith(\"stopped by the memory guard: swap\"), end
" "$LOCALMODEL_HOME/localmodel.db" $P1
'

test_expect_success 'a server marked to stay is never stopped, even as it gets worse' '
	pressure 90.00 &&
	swap 10000 &&
	sleep 3 &&
	up $P2 &&
	test_grep "memory guard: .*but nothing may be given up" "$LOCALMODEL_HOME/logs/server-$P2.log"
'

test_expect_success 'recovery: clearly below the limits for a while re-arms the guard' '
	swap 2000000 &&
	pressure 0.00 &&
	wait_until 10 "grep -q \"memory guard: re-armed\" \"$LOCALMODEL_HOME/logs/server-$P2.log\"" &&
	localmodel serve ./a.gguf --port $P1 >/dev/null &&
	localmodel status --json >st &&
	test "$(server_get st $P1 "[\"guard\"]")" = null &&
	test "$(server_get st $P1 "[\"health\"]")" = ok
'

test_expect_success 'hysteresis: one crossing costs one server; another only when it gets worse' '
	localmodel serve ./c.gguf --port $P3 >/dev/null &&
	sleep 0.5 &&
	swap 100000 &&
	wait_until 10 "down $P1 || down $P3" &&
	sleep 3 &&
	{ up $P1 || up $P3; } &&
	up $P2 &&
	test $(ls "$RUN"/guard-*.json | wc -l) = 1 &&
	pressure 80.00 &&
	wait_until 10 "down $P1 && down $P3" &&
	up $P2 &&
	localmodel status --json >st &&
	test "$(server_get st $P1 "[\"guard\"][\"action\"]")" = stopped &&
	test "$(server_get st $P3 "[\"guard\"][\"action\"]")" = stopped &&
	cat "$RUN/guard-$P1.json" "$RUN/guard-$P3.json" >both &&
	test_grep "memory pressure 80%, limit 40%" both
'

test_expect_success 'the limits come from the configuration' '
	localmodel status --json >st &&
	cfg=$(json_get st "[\"paths\"][\"config\"]") &&
	mkdir -p "$(dirname "$cfg")" &&
	printf "swap_limit_gb = 0.5\npressure_limit = 95\n" >"$cfg" &&
	localmodel status --json >st &&
	test "$(json_get st "[\"memory\"][\"limits\"][\"swap_limit_bytes\"]")" = 536870912 &&
	test "$(json_get st "[\"memory\"][\"limits\"][\"pressure\"]")" = 95 &&
	rm "$cfg"
'

test_done
