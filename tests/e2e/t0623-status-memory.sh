#!/bin/sh
test_description='status: the memory picture of a Linux machine and a Mac (pressure, swap, trend, limits)'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
export LOCALMODEL_GUARD_INTERVAL_MS=200
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
cp -R "$FIXTURES/sysroot/laptop-8g" "$TRASH/linux"
mkdir -p "$TRASH/linux/proc/pressure"
printf "some avg10=12.00 avg60=3.00 avg300=1.00 total=5\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=1\n" \
	>"$TRASH/linux/proc/pressure/memory"
printf "nr_free_pages 10\npswpin 1000\npswpout 2000\n" >"$TRASH/linux/proc/vmstat"
# a 16 GB Mac at the warning level with 9 GB in swap
mkdir "$TRASH/mac"
{ cat "$FIXTURES/sysroot/mac-16g/sysctl.txt" &&
  echo "vm.swapusage: total = 10240.00M  used = 9216.00M  free = 1024.00M  (encrypted)" &&
  echo "kern.memorystatus_vm_pressure_level: 2"; } >"$TRASH/mac/sysctl.txt"
PORT=$(free_port)
python3 "$FIXTURES/mkgguf.py" "$TRASH/a.gguf" >/dev/null

test_expect_success 'Linux: PSI pressure, swap, limits from the machine; no trend without a server' '
	LOCALMODEL_SYSROOT="$TRASH/linux" localmodel status --json >st &&
	test "$(json_get st "[\"memory\"][\"pressure\"]")" = 12 &&
	test "$(json_get st "[\"memory\"][\"total_bytes\"]")" = $((7989232 * 1024)) &&
	test "$(json_get st "[\"memory\"][\"available_bytes\"]")" = $((5123456 * 1024)) &&
	test "$(json_get st "[\"memory\"][\"swap_used_bytes\"]")" = $(((2097148 - 2000000) * 1024)) &&
	test "$(json_get st "[\"memory\"][\"swap_trend_bytes_per_s\"]")" = null &&
	test "$(json_get st "[\"memory\"][\"swap_io_bytes_per_s\"]")" = null &&
	test "$(json_get st "[\"memory\"][\"limits\"][\"pressure\"]")" = 40 &&
	LOCALMODEL_SYSROOT="$TRASH/linux" localmodel status >text &&
	test_grep "^memory: *7.6 GB total, 4.9 GB available, swap 94.9 MB used, pressure 12% (guard acts above 1.8 GB of swap or pressure 40%)$" text
'

test_expect_success 'Linux: with a server running, the swap trend and swapping rate' '
	LOCALMODEL_SYSROOT="$TRASH/linux" localmodel serve ./a.gguf --port $PORT >/dev/null &&
	wait_until 10 "test -e \"$LOCALMODEL_HOME/run/guard-sample\"" &&
	sleep 1.2 &&
	printf "nr_free_pages 10\npswpin 9000\npswpout 10000\n" >"$TRASH/linux/proc/vmstat" &&
	sed "s/^SwapFree:.*/SwapFree: 1900000 kB/" "$TRASH/linux/proc/meminfo" >m &&
	mv m "$TRASH/linux/proc/meminfo" &&
	LOCALMODEL_SYSROOT="$TRASH/linux" localmodel status --json >st &&
	python3 -c "
import json, sys
m = json.load(open(sys.argv[1]))[\"memory\"]
assert m[\"swap_trend_bytes_per_s\"] > 0, m
assert m[\"swap_io_bytes_per_s\"] > 0, m
" st &&
	LOCALMODEL_SYSROOT="$TRASH/linux" localmodel status >text &&
	test_grep "^memory: .*swap 192.5 MB used, rising .*/s, swapping .*/s, pressure 12%" text &&
	localmodel stop --port $PORT >/dev/null
'

test_expect_success 'a Mac: the pressure level, vm.swapusage, limits of three quarters and half of RAM' '
	rm "$LOCALMODEL_HOME/run/guard-sample" &&
	LOCALMODEL_SYSROOT="$TRASH/mac" localmodel status --json >st &&
	test "$(json_get st "[\"memory\"][\"pressure\"]")" = 50 &&
	test "$(json_get st "[\"memory\"][\"swap_used_bytes\"]")" = $((9216 * 1048576)) &&
	test "$(json_get st "[\"memory\"][\"limits\"][\"swap_limit_bytes\"]")" = $((12 * 1073741824)) &&
	test "$(json_get st "[\"memory\"][\"limits\"][\"swap_warn_bytes\"]")" = $((8 * 1073741824)) &&
	LOCALMODEL_SYSROOT="$TRASH/mac" localmodel status >text &&
	test_grep "^memory: *16.0 GB total, 9.0 GB available, swap 9.0 GB used, pressure 50% (guard acts above 12.0 GB of swap or pressure 40%)$" text
'

test_done
