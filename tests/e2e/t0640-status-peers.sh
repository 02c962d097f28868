#!/bin/sh
test_description='status --peers: parallel bounded probes, ordered providers, routing by model'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT

# fake PORT [VAR=value...] -- ARGS: a fake llama-server of our own on PORT
fake() {
	_port=$1
	shift
	_env=""
	while [ "$1" != "--" ]; do
		_env="$_env $1"
		shift
	done
	shift
	env $_env "$FIXTURES/fake-llama-server" --host 127.0.0.1 --port "$_port" "$@" \
		>"fake-$_port.log" 2>&1 &
	echo $! >>"$TRASH/.pids"
}
# code URL: the HTTP status of a GET (000 when nothing answers)
code() {
	curl -s -o /dev/null -w "%{http_code}" "$1"
}

python3 "$FIXTURES/mkgguf.py" "$TRASH/m.gguf" >/dev/null
printf "sekrit-hub-key\n" >hub.key && chmod 600 hub.key
printf "not-the-key\n" >wrong.key && chmod 600 wrong.key
cat >preset.ini <<\EOF
[org/b-GGUF:Q8_0]
model = m.gguf
alias = b
EOF
HUB=$(free_port) LOADING=$(free_port) ROUTER=$(free_port) SLEEPY=$(free_port) GONE=$(free_port)

test_expect_success 'no peers: says how to add one, exit 5 (none healthy)' '
	test_expect_code 5 localmodel status --peers >out &&
	test_grep "peers: none" out &&
	test_expect_code 5 localmodel status --peers --json >out.json &&
	test "$(json_get out.json "[\"providers\"]")" = "[]" &&
	test "$(json_get out.json "[\"route\"]")" = null
'

test_expect_success 'setup: a hub with a key, a loading one, a router, a sleeping one' '
	fake $HUB -- -m m.gguf --alias org/a-GGUF:Q4_K_M --api-key-file hub.key &&
	fake $LOADING FAKE_LLAMA_HANG=1 -- -m m.gguf &&
	fake $ROUTER -- --models-preset preset.ini &&
	fake $SLEEPY -- -m m.gguf --alias sleepy --sleep-idle-seconds 1 &&
	wait_until 30 "test \$(code http://127.0.0.1:$HUB/health) = 200" &&
	wait_until 30 "test \$(code http://127.0.0.1:$LOADING/health) = 503" &&
	wait_until 30 "test \$(code http://127.0.0.1:$ROUTER/health) = 200" &&
	wait_until 30 "test \$(code http://127.0.0.1:$SLEEPY/health) = 200" &&
	mkdir -p "$LOCALMODEL_HOME" &&
	cat >"$LOCALMODEL_HOME/config" <<-EOF
	peers = gone=http://127.0.0.1:$GONE/v1, loading=http://127.0.0.1:$LOADING, badkey=http://127.0.0.1:$HUB key_file=$TRASH/wrong.key, hub=http://127.0.0.1:$HUB/v1 key_file=$TRASH/hub.key, router=http://127.0.0.1:$ROUTER/, sleepy=http://127.0.0.1:$SLEEPY
	EOF
'

test_expect_success 'healthy first by preference, each unhealthy one with why' '
	sleep 1 &&
	localmodel status --peers --json >p.json &&
	python3 - p.json <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	p = d["providers"]
	assert [x["name"] for x in p] == ["hub", "router", "sleepy", "gone", "loading", "badkey"], p
	assert [x["healthy"] for x in p] == [True, True, True, False, False, False], p
	assert d["healthy"] == 3
	by = {x["name"]: x for x in p}
	assert by["gone"]["state"] == "unreachable" and "connect" in by["gone"]["reason"].lower()
	assert by["loading"]["state"] == "loading" and "503" in by["loading"]["reason"]
	assert by["badkey"]["state"] == "unauthorized" and "refused" in by["badkey"]["reason"]
	assert by["hub"]["reason"] is None and by["hub"]["free_slot"] is True
	assert by["hub"]["models"][0]["id"] == "org/a-GGUF:Q4_K_M"
	assert by["router"]["router"] is True and by["router"]["free_slot"] is None
	assert by["router"]["models"][0] == {"id": "org/b-GGUF:Q8_0", "aliases": ["b"], "state": "unloaded"}
	assert by["sleepy"]["state"] == "sleeping" and by["sleepy"]["sleeping"] is True
	assert by["hub"]["endpoint"].endswith("/v1") and by["hub"]["preference"] == 3
	EOF
'

test_expect_success 'the key is sent, never printed' '
	test_grep -v sekrit-hub-key p.json &&
	localmodel status --peers >p.txt &&
	test_grep -v sekrit-hub-key p.txt &&
	test_grep "^hub .*ok .*free" p.txt
'

test_expect_success '--model: the first healthy provider serving it (id or alias)' '
	localmodel status --peers --model b --json >r.json &&
	test "$(json_get r.json "[\"route\"][\"name\"]")" = router &&
	test "$(json_get r.json "[\"route\"][\"endpoint\"]")" = "http://127.0.0.1:$ROUTER/v1" &&
	test "$(json_get r.json "[\"route\"][\"model\"]")" = b &&
	localmodel status --peers --model org/a-GGUF:Q4_K_M --json >r.json &&
	test "$(json_get r.json "[\"route\"][\"name\"]")" = hub &&
	test "$(json_get r.json "[\"route\"][\"api_key_file\"]")" = "$TRASH/hub.key" &&
	localmodel status --peers --model b >r.txt &&
	test_grep "^route: router serves b at http://127.0.0.1:$ROUTER/v1" r.txt
'

test_expect_success '--model nobody serves: exit 3, route null' '
	test_expect_code 3 localmodel status --peers --model org/none --json >r.json &&
	test "$(json_get r.json "[\"route\"]")" = null &&
	test_expect_code 3 localmodel status --peers --model org/none >r.txt &&
	test_grep "no healthy provider serves org/none" r.txt
'

test_expect_success 'a busy peer: no free slot (fail_on_no_slot), still healthy' '
	BUSY=$(free_port) &&
	fake $BUSY FAKE_LLAMA_REQUEST_MS=4000 -- -m m.gguf -np 1 &&
	wait_until 30 "test \$(code http://127.0.0.1:$BUSY/health) = 200" &&
	{ curl -s -o /dev/null http://127.0.0.1:$BUSY/v1/chat/completions \
		-d "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" & } &&
	wait_until 5 "test \$(code \"http://127.0.0.1:$BUSY/slots?fail_on_no_slot=1\") = 503" &&
	localmodel status --peers --peer "busy=http://127.0.0.1:$BUSY" --json >b.json &&
	test "$(json_get b.json "[\"providers\"][0][\"free_slot\"]")" = false &&
	test "$(json_get b.json "[\"providers\"][0][\"healthy\"]")" = true
'

test_expect_success 'none healthy: exit 5' '
	test_expect_code 5 localmodel status --peers --peer "http://127.0.0.1:$GONE,http://127.0.0.1:$LOADING" --json >n.json &&
	test "$(json_get n.json "[\"healthy\"]")" = 0 &&
	test "$(json_get n.json "[\"providers\"][0][\"name\"]")" = "127.0.0.1:$GONE"
'

test_expect_success 'probes are bounded: a peer that never answers costs --timeout' '
	start_fixture hang.port python3 -c "
import socket, sys
s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(64)
open(sys.argv[1], \"w\").write(str(s.getsockname()[1]))
held = []
while True:
    held.append(s.accept()[0])
" hang.port >/dev/null &&
	HANG=$(cat hang.port) &&
	peers="http://127.0.0.1:$HANG" &&
	for i in 1 2 3 4 5 6 7 8; do peers="$peers,h$i=http://127.0.0.1:$HANG" || exit 1; done &&
	start=$(date +%s%N) &&
	{ rc=0 && localmodel status --peers --timeout 1 --peer "$peers,hub=http://127.0.0.1:$HUB key_file=hub.key" --json >h.json || rc=$?; } &&
	end=$(date +%s%N) &&
	test $rc = 0 &&
	test $(( (end - start) / 1000000 )) -lt 2500 &&
	test "$(json_get h.json "[\"providers\"][0][\"name\"]")" = hub &&
	test "$(json_get h.json "[\"providers\"][1][\"state\"]")" = unreachable &&
	json_get h.json "[\"providers\"][1][\"reason\"]" | grep -i "timed out\|within"
'

test_expect_success 'LOCALMODEL_PEERS overrides the file; --peer replaces both' '
	LOCALMODEL_PEERS="only=http://127.0.0.1:$ROUTER" localmodel status --peers --json >e.json &&
	python3 -c "import json; p = json.load(open(\"e.json\"))[\"providers\"]; assert [x[\"name\"] for x in p] == [\"only\"], p" &&
	localmodel status --peers --peer "solo=http://127.0.0.1:$SLEEPY" --json >e.json &&
	python3 -c "import json; p = json.load(open(\"e.json\"))[\"providers\"]; assert [x[\"name\"] for x in p] == [\"solo\"], p"
'

test_expect_success 'a malformed peer is a usage error naming it' '
	test_expect_code 2 localmodel status --peers --peer "ftp://x" 2>err &&
	test_grep "peer .ftp://x" err &&
	test_expect_code 2 localmodel status --peers --peer "a=http://h:1 b=http://h:2" 2>err &&
	test_grep "want \[NAME=\]URL" err
'

test_expect_success 'the servers of this machine come first, as local:PORT' '
	LOCAL=$(free_port) &&
	localmodel serve ./m.gguf --port $LOCAL --alias mine >/dev/null &&
	localmodel status --peers --model mine --json >l.json &&
	test "$(json_get l.json "[\"providers\"][0][\"name\"]")" = "local:$LOCAL" &&
	test "$(json_get l.json "[\"providers\"][0][\"local\"]")" = true &&
	test "$(json_get l.json "[\"route\"][\"name\"]")" = "local:$LOCAL"
'

test_done
