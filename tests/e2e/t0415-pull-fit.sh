#!/bin/sh
test_description='pull and search --files: the best quant that fits the machine'
. "$(dirname "$0")/lib.sh"

mk() {
	p=$1
	shift
	mkdir -p "$(dirname "repos/$p")"
	python3 "$FIXTURES/mkgguf.py" "repos/$p" "$@" >/dev/null
}
# the Hub advertises big sizes for the files that must not be chosen
mk org/fit/m-Q4_K_M.gguf --name a
mk org/fit/m-Q8_0.gguf --name b --file-type 7
mk org/fit/m-Q3_K_M.gguf --name c --file-type 12
echo '{"size_lies": {"m-Q4_K_M.gguf": 7000000000, "m-Q8_0.gguf": 12000000000}}' >repos/org/fit/.mock.json
mk org/huge/h-Q4_K_M.gguf --name d
echo '{"size_lies": {"h-Q4_K_M.gguf": 40000000000}}' >repos/org/huge/.mock.json

# not in $(...): the fixture pid must reach test_pids, to be killed at exit
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port >/dev/null || exit 1
P=$(cat hub.port)
export HF_ENDPOINT=http://127.0.0.1:$P
SYS=$SRC_DIR/tests/fixtures/sysroot
M=$LOCALMODEL_HOME/models

test_expect_success 'search --files says what fits an 8 GB laptop' '
	LOCALMODEL_SYSROOT=$SYS/laptop-8g localmodel search org/fit --files >out &&
	test_grep "^m-Q4_K_M.gguf .* no *$" out &&
	test_grep "^m-Q8_0.gguf .* no *$" out &&
	test_grep "^m-Q3_K_M.gguf .* yes  *~[0-9.]* tok/s$" out
'

test_expect_success 'and what fits a 24 GB GPU machine' '
	LOCALMODEL_SYSROOT=$SYS/nvidia-24g localmodel search org/fit --files --json >out &&
	python3 -c "
import json, sys
f = {x[\"path\"]: x[\"fits\"] for x in json.load(open(sys.argv[1]))[\"files\"]}
assert f == {\"m-Q4_K_M.gguf\": True, \"m-Q8_0.gguf\": True, \"m-Q3_K_M.gguf\": True}, f
" out
'

test_expect_success 'Q4_K_M does not fit the laptop: the quant that fits is pulled' '
	LOCALMODEL_SYSROOT=$SYS/laptop-8g localmodel pull org/fit >out &&
	test -e "$M/org/fit/m-Q3_K_M.gguf" &&
	test ! -e "$M/org/fit/m-Q4_K_M.gguf"
'

test_expect_success 'nothing fits: exit 7, saying a quant can be named' '
	(export LOCALMODEL_SYSROOT=$SYS/laptop-8g; test_expect_code 7 localmodel pull org/huge) 2>err &&
	test_grep "fits this machine" err &&
	test_grep "name a quant" err
'

test_done
