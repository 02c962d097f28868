#!/bin/sh
test_description='usage equals llama-server counters: complete, streamed, cut off, embeddings; single and router'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server" LOCALMODEL_HEALTH_INTERVAL_MS=200
trap 'localmodel stop --all --timeout 2 >/dev/null 2>&1; test_cleanup' EXIT
# traffic PORT MODEL: a complete chat, a complete stream, a stream cut after
# two chunks, two embeddings
traffic() {
	python3 - "$@" <<'PY'
import http.client, json, socket, sys, time
port, model = int(sys.argv[1]), sys.argv[2]
def cut_off(path, body, chunks):
    """Read a few chunks of a stream, then hang up (the stop button)."""
    data = json.dumps(body).encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % (path.encode(), len(data)) + data)
    got = b""
    while got.count(b"data: ") < chunks:
        got += s.recv(4096)
    s.close()
    time.sleep(0.5)
def post(path, body, cut=None):
    if cut:
        return cut_off(path, body, cut)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200, (path, r.status, r.read())
    r.read()
    c.close()
msg = [{"role": "user", "content": "hello there"}]
post("/v1/chat/completions", {"model": model, "messages": msg, "max_tokens": 7})
post("/v1/chat/completions", {"model": model, "messages": msg + [{"role": "user", "content": "more"}], "max_tokens": 6, "stream": True})
post("/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "a long one"}], "max_tokens": 200, "stream": True}, cut=2)
post("/v1/embeddings", {"model": model, "input": "one two three"})
post("/v1/embeddings", {"model": model, "input": "four five"})
PY
}
# counters PORT [MODEL]: "prompt predicted" from /metrics
counters() {
	python3 - "$@" <<'PY'
import sys, urllib.parse, urllib.request
q = "?model=%s&autoload=false" % urllib.parse.quote(sys.argv[2], safe="") if len(sys.argv) > 2 else ""
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics%s" % (sys.argv[1], q), timeout=5).read().decode()
v = {l.split()[0]: int(float(l.split()[1])) for l in text.splitlines() if l.startswith("llamacpp:")}
print(v["llamacpp:prompt_tokens_total"], v["llamacpp:tokens_predicted_total"])
PY
}
# recorded MODEL: "prompt predicted requests reconciled_rows" from the database
recorded() {
	python3 - "$LOCALMODEL_HOME/localmodel.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
r = db.execute("select coalesce(sum(tokens_in),0), coalesce(sum(tokens_out),0),"
               " sum(kind = 'request'), sum(kind = 'reconciled') from model_usage where model = ?",
               (sys.argv[2],)).fetchone()
print(*r)
PY
}
PORT=$(free_port)
for n in a u; do
	python3 "$FIXTURES/mkgguf.py" "$TRASH/$n.gguf" >/dev/null
done

test_expect_success 'setup: two models' '
	test_expect_code 3 localmodel serve --all --port $PORT 2>/dev/null &&
	add_model org/a-GGUF:Q4_K_M "$TRASH/a.gguf" &&
	add_model org/u-GGUF:UD-Q4_K_XL "$TRASH/u.gguf"
'

test_expect_success 'one model: every token /metrics counts is in usage, cut-off and embeddings included' '
	localmodel serve org/a-GGUF:Q4_K_M --port $PORT >/dev/null &&
	traffic $PORT org/a-GGUF:Q4_K_M &&
	sleep 1 &&
	counters $PORT >want &&
	localmodel stop --port $PORT >/dev/null &&
	recorded org/a-GGUF:Q4_K_M >got &&
	read wi wo <want &&
	read gi go req rec <got &&
	echo "metrics $wi/$wo, usage $gi/$go, $req requests, $rec reconciled rows" &&
	test "$gi" = "$wi" &&
	test "$go" = "$wo" &&
	test "$req" = 2 &&
	test "$rec" -ge 1
'

test_expect_success 'usage says which figures are reconciled, and counts only requests' '
	localmodel usage >out &&
	test_grep "were counted by llama-server.s /metrics without a request.s timing lines" out &&
	localmodel usage --json >u.json &&
	test "$(json_get u.json "[\"models\"][0][\"requests\"]")" = 2 &&
	test "$(json_get u.json "[\"models\"][0][\"reconciled_tokens_in\"]")" -gt 0 &&
	test "$(json_get u.json "[\"models\"][0][\"reconciled_tokens_out\"]")" -gt 0
'

test_expect_success 'router: the same per model, under the listed names' '
	localmodel serve --all --max-loaded 2 --port $PORT >/dev/null &&
	traffic $PORT org/u-GGUF:UD-Q4_K_XL &&
	traffic $PORT org/a-GGUF:Q4_K_M &&
	sleep 1 &&
	counters $PORT org/u-GGUF:UD-Q4_K_XL >want.u &&
	counters $PORT org/a-GGUF:Q4_K_M >want.a &&
	localmodel stop --port $PORT >/dev/null &&
	recorded org/u-GGUF:UD-Q4_K_XL >got.u &&
	read wi wo <want.u &&
	read gi go req rec <got.u &&
	echo "u: metrics $wi/$wo, usage $gi/$go, $req requests" &&
	test "$gi" = "$wi" &&
	test "$go" = "$wo" &&
	test "$req" = 2 &&
	read ai ao <want.a &&
	recorded org/a-GGUF:Q4_K_M >got.a &&
	read bi bo breq brec <got.a &&
	test "$bi" = "$((ai + $(cut -d" " -f1 want)))" &&
	test "$bo" = "$((ao + $(cut -d" " -f2 want)))"
'

test_done
