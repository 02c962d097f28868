#!/bin/sh
test_description='install: hostile archives install nothing, anywhere, and exit 6'
. "$(dirname "$0")/lib.sh"

RT=$LOCALMODEL_HOME/runtime
PWN=lm-pwned-$$-$(date +%s)

test_expect_success 'setup: one good build and one hostile build per kind' '
	python3 "$FIXTURES/mkrelease.py" tree rel b10 &&
	n=11 &&
	for kind in dotdot absolute symlink-abs symlink-rel symlink-chain through-link hardlink device fifo; do
		mkdir rel/b$n &&
		case $kind in
		absolute) target=$TRASH/outside/$PWN ;;
		hardlink) target=/x/victim ;;
		*) target=/tmp/$PWN ;;
		esac &&
		python3 "$FIXTURES/mkrelease.py" hostile $kind \
			rel/b$n/$(python3 "$FIXTURES/mkrelease.py" asset --tag b$n) --tag b$n --target "$target" &&
		echo "$kind b$n" >>kinds &&
		n=$((n + 1)) || exit 1
	done &&
	mkdir outside
'
# the fixture starts in this shell, so that test_done stops it
start_fixture port python3 "$FIXTURES/mockgithub.py" rel port >/dev/null || exit 1
LOCALMODEL_GITHUB_API=http://127.0.0.1:$(cat port)
export LOCALMODEL_GITHUB_API

test_expect_success 'the good build installs' '
	localmodel install --backend cpu --tag b10 >/dev/null &&
	test "$(readlink "$RT/current")" = b10-cpu &&
	echo secret >"$LOCALMODEL_HOME/victim"
'

snapshot() {
	find "$TRASH" -path "$TRASH/rel" -prune -o -path "$TRASH/.out" -prune -o \
		-path "$TRASH/.san" -prune -o -name "snap.*" -prune -o -print | sort >"$1"
}

while read kind tag; do
	test_expect_success "hostile archive: $kind exits 6, nothing written outside" '
		: >err && snapshot snap.before &&
		test_expect_code 6 localmodel install --backend cpu --tag '"$tag"' 2>err &&
		test_grep "unsafe archive\|corrupt archive\|cannot extract" err &&
		snapshot snap.after &&
		test_cmp snap.before snap.after &&
		test ! -e /tmp/$PWN &&
		test -z "$(ls -A outside)" &&
		test ! -e "$RT/'"$tag"'-cpu" &&
		test "$(readlink "$RT/current")" = b10-cpu &&
		test "$(stat -c %h "$LOCALMODEL_HOME/victim")" = 1
	'
done <kinds

test_expect_success 'the refusals name the problem' '
	test_expect_code 6 localmodel install --backend cpu --tag b11 2>err &&
	test_grep "absolute or .\.\.. path" err &&
	test_expect_code 6 localmodel install --backend cpu --tag b13 2>err &&
	test_grep "symlink pointing outside" err &&
	test_expect_code 6 localmodel install --backend cpu --tag b18 2>err &&
	test_grep "device, fifo or socket" err &&
	test_expect_code 6 localmodel install --backend cpu --tag b16 2>err &&
	test_grep "written through a symlink" err
'

test_done
