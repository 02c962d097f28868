#!/bin/sh
test_description='serve MODEL: inventory name, unique prefix, most recently used, paths, runtime'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" FAKE_LLAMA_ARGS_FILE="$TRASH/args"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# add_model NAME FILE LAST_USED: a row in the inventory
add_model() {
	python3 -c '
import sqlite3, sys, os
db = sqlite3.connect(sys.argv[1])
db.execute("insert into model_inventory(model, file_path, repo_source, size_bytes, quantization,"
           " first_seen, last_used) values (?,?,?,?,?,?,?)",
           (sys.argv[2], sys.argv[3], sys.argv[2].split(":")[0], os.path.getsize(sys.argv[3]) if os.path.exists(sys.argv[3]) else 0,
            sys.argv[2].split(":")[-1], "2026-01-01T00:00:00Z", sys.argv[4] or None))
db.commit()' "$LOCALMODEL_HOME/localmodel.db" "$@"
}
# served_model: the -m of the last llama-server start
served_model() {
	awk 'prev == "-m" { m = $0 } { prev = $0 } END { print m }' args
}
mkdir -p store
for n in a b c; do
	python3 "$FIXTURES/mkgguf.py" "$TRASH/store/$n.gguf" >/dev/null
done
PORT=$(free_port)

test_expect_success 'no models at all: MODEL-less serve says so (exit 3)' '
	test_expect_code 3 localmodel serve --port $PORT 2>err &&
	test_grep "no models installed" err
'

test_expect_success 'setup: three models in the inventory' '
	add_model org/alpha-GGUF:Q4_K_M "$TRASH/store/a.gguf" "2026-03-01T00:00:00Z" &&
	add_model org/alpha-GGUF:Q8_0 "$TRASH/store/b.gguf" "" &&
	add_model other/beta-GGUF:Q4_K_M "$TRASH/store/c.gguf" "2026-05-01T00:00:00Z"
'

test_expect_success 'the exact name is served, alias = the name' '
	localmodel serve org/alpha-GGUF:Q8_0 --port $PORT >out &&
	test "$(served_model)" = "$TRASH/store/b.gguf" &&
	test_grep "as \"org/alpha-GGUF:Q8_0\"" out &&
	localmodel stop org/alpha >/dev/null
'

test_expect_success 'a unique prefix is served' '
	localmodel serve other/be --port $PORT >out &&
	test "$(served_model)" = "$TRASH/store/c.gguf" &&
	localmodel stop --port $PORT >/dev/null
'

test_expect_success 'an ambiguous prefix is a usage error naming the candidates' '
	test_expect_code 2 localmodel serve org/alpha --port $PORT 2>err &&
	test_grep "matches 2 models" err &&
	test_grep "org/alpha-GGUF:Q8_0" err
'

test_expect_success 'an unknown model exits 3' '
	test_expect_code 3 localmodel serve nobody/nothing --port $PORT 2>err &&
	test_grep "no model .nobody/nothing." err
'

test_expect_success 'no MODEL: the most recently used one' '
	localmodel serve --port $PORT >out &&
	test "$(served_model)" = "$TRASH/store/c.gguf" &&
	localmodel stop >/dev/null
'

test_expect_success '--alias names the served model' '
	localmodel serve other/beta-GGUF:Q4_K_M --alias beta --port $PORT >out &&
	test_grep "as \"beta\"" out &&
	localmodel stop beta >/dev/null
'

test_expect_success 'a path of an inventory file takes its name' '
	localmodel --json serve "$TRASH/store/a.gguf" --port $PORT >out.json &&
	test "$(json_get out.json "[\"model\"]")" = org/alpha-GGUF:Q4_K_M &&
	localmodel stop --all >/dev/null
'

test_expect_success 'a missing path exits 3; a missing inventory file exits 3' '
	test_expect_code 3 localmodel serve ./nope.gguf --port $PORT 2>err &&
	test_grep "nope.gguf" err &&
	add_model gone/model:Q4_K_M "$TRASH/store/gone.gguf" "" &&
	test_expect_code 3 localmodel serve gone/model:Q4_K_M --port $PORT 2>err &&
	test_grep "missing" err
'

test_expect_success 'status counts the models and the stale ones' '
	LOCALMODEL_NOW=2026-05-15T00:00:00Z localmodel status --json >st.json &&
	test "$(json_get st.json "[\"models\"][\"count\"]")" = 4 &&
	test "$(json_get st.json "[\"models\"][\"stale_count\"]")" = 3 &&
	LOCALMODEL_NOW=2026-05-15T00:00:00Z localmodel status >st.txt &&
	test_grep "^models: *4 (.*), 3 stale" st.txt
'

test_expect_success 'no llama-server: exit 8' '
	(unset LOCALMODEL_LLAMA_SERVER; test_expect_code 8 localmodel serve other/beta-GGUF:Q4_K_M --port $PORT 2>err) &&
	test_grep "no llama-server installed" err &&
	LOCALMODEL_LLAMA_SERVER=$TRASH/none test_expect_code 8 localmodel serve other/beta-GGUF:Q4_K_M --port $PORT 2>err
'

test_expect_success 'the installed runtime is found under runtime/current' '
	mkdir -p "$LOCALMODEL_HOME/runtime/b1-cpu" &&
	cp "$FIXTURES/fake-llama-server" "$LOCALMODEL_HOME/runtime/b1-cpu/llama-server" &&
	ln -s b1-cpu "$LOCALMODEL_HOME/runtime/current" &&
	(unset LOCALMODEL_LLAMA_SERVER; localmodel serve other/beta-GGUF:Q4_K_M --port $PORT >out) &&
	localmodel status --json >st.json &&
	test "$(json_get st.json "[\"servers\"][0][\"runtime\"]")" = "$LOCALMODEL_HOME/runtime/b1-cpu/llama-server" &&
	localmodel stop --all >/dev/null
'

test_done
