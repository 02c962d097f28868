#!/bin/sh
test_description='pull: kill -9 at 20 random moments of a split download, then a plain pull'
. "$(dirname "$0")/../e2e/lib.sh"
. "$TEST_DIR/lib-faults.sh"

# A three-part split model of random bytes (zeros would hide misplaced data).
mkdir -p repos/org/split
python3 "$FIXTURES/mkgguf.py" repos/org/split/split-Q4_K_M.gguf --split-count 3 \
	--data-bytes 1500000 >/dev/null
random_fill repos/org/split/split-Q4_K_M-0000[123]-of-00003.gguf

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port >/dev/null || exit 1
H=http://127.0.0.1:$(cat hub.port)
export HF_ENDPOINT=$H LOCALMODEL_HTTP_BACKOFF_MS=20
M=$LOCALMODEL_HOME/models/org/split
DB=$LOCALMODEL_HOME/localmodel.db
PARTS="split-Q4_K_M-00001-of-00003.gguf split-Q4_K_M-00002-of-00003.gguf split-Q4_K_M-00003-of-00003.gguf"
for p in $PARTS; do
	sha256sum "repos/org/split/$p" | cut -c1-64 >"want.$p"
done


# finals_ok: whatever sits at a final path is whole and verified, and an
# inventory row means every part is there
finals_ok() {
	for p in $PARTS; do
		[ -e "$M/$p" ] || continue
		got=$(sha256sum "$M/$p" | cut -c1-64)
		if [ "$got" != "$(cat "want.$p")" ]; then
			echo "unverified file at a final path: $p ($(wc -c <"$M/$p") bytes)" >&2
			return 1
		fi
	done
	[ -e "$DB" ] || return 0
	n=$(sqlite3 -cmd '.timeout 5000' "$DB" "SELECT count(*) FROM model_inventory") || return 1
	if [ "$n" != 0 ]; then
		for p in $PARTS; do
			[ -e "$M/$p" ] || { echo "inventory row but $p missing" >&2; return 1; }
		done
	fi
	return 0
}

# all_ok: the whole model is there, verified, recorded once, no leftovers
all_ok() {
	for p in $PARTS; do
		[ -e "$M/$p" ] || { echo "missing $p" >&2; return 1; }
	done
	finals_ok || return 1
	test "$(sqlite3 "$DB" "SELECT count(*) FROM model_inventory")" = 1 || return 1
	left=$(ls "$M" | grep -v '\.gguf$' || :)
	[ -z "$left" ] || { echo "left over: $left" >&2; return 1; }
}

# kill_at MS: start a pull, kill -9 it after MS milliseconds
kill_at() {
	{ localmodel pull org/split >>pull.out 2>>pull.err & } &&
	pid=$! &&
	sleep "$(awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }')"
	kill -9 $pid 2>/dev/null || :
	wait $pid 2>/dev/null || :
}

test_expect_success 'a throttled pull of the split model takes long enough to be killed' '
	fault "{\"action\": \"throttle\", \"rate\": 3000000, \"server\": \"cdn\"}" &&
	start=$(date +%s%N) &&
	localmodel pull org/split >out 2>err &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) &&
	echo "throttled pull: $ms ms" &&
	echo "$ms" >throttled.ms &&
	test "$ms" -gt 500 &&
	all_ok
'

# the moments: 20 random ones over the life of a throttled pull (seeded
# by the date, printed so that a failure can be replayed with SEED=...)
SEED=${SEED:-$(date +%s)}
echo "# seed $SEED"
T=$(cat throttled.ms 2>/dev/null || echo 1500)
awk -v s="$SEED" -v t="$T" 'BEGIN { srand(s); for (i = 0; i < 20; i++) printf "%d\n", 20 + int(rand() * t) }' >moments
: >mid

i=0
for ms in $(cat moments); do
	i=$((i + 1))
	test_expect_success "kill -9 after $ms ms (round $i): nothing unverified, then a plain pull" '
		{ localmodel models rm org/split:Q4_K_M >/dev/null 2>&1 || :; } &&
		rm -rf "$M" &&
		clear_faults &&
		fault "{\"action\": \"throttle\", \"rate\": 3000000, \"server\": \"cdn\"}" &&
		kill_at "$ms" &&
		finals_ok &&
		{ ! ls "$M"/*.part >/dev/null 2>&1 || echo "$ms" >>mid; } &&
		# every other round, kill the resuming pull too
		if [ $((i % 2)) = 0 ]; then kill_at $((ms / 2 + 50)) && finals_ok; fi &&
		clear_faults &&
		localmodel pull org/split >out 2>err &&
		all_ok
	'
done

test_expect_success 'at least 5 kills fell mid-download; none left a crash report' '
	echo "mid-download kills: $(wc -l <mid) of 20, throttled pull $(cat throttled.ms) ms" &&
	test "$(wc -l <mid)" -ge 5 &&
	test_grep -v "Segmentation\|Aborted\|sanitizer" pull.err
'

test_done
