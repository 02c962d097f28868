#!/bin/sh
# The mock Hub + CDN behaves like the Hub (HACKING.md, "Hugging Face Hub"), checked with curl.
test_description='mockhub fixture: redirects, headers, errors, paging, faults'
. "$(dirname "$0")/lib.sh"

TOKEN=hf_abcdefghijklmnopqrstuvwxyz0123456789
mkdir -p repos/org/m-GGUF/Q8 repos/org/gated repos/org/priv repos/org/other
head -c 300000 /dev/urandom >repos/org/m-GGUF/m-Q4_K_M.gguf
head -c 1000 /dev/urandom >repos/org/m-GGUF/Q8/m-Q8_0.gguf
echo hello >repos/org/m-GGUF/README.md
echo '{"gated": true, "downloads": 5}' >repos/org/gated/.mock.json
echo x >repos/org/gated/g.gguf
echo '{"private": true}' >repos/org/priv/.mock.json
echo x >repos/org/priv/p.gguf
echo '{"downloads": 9, "tags": ["text"]}' >repos/org/other/.mock.json
echo x >repos/org/other/o.txt
mkdir -p repos/org/liar
head -c 5000 /dev/urandom >repos/org/liar/bad.gguf
head -c 5000 /dev/urandom >repos/org/liar/big.gguf
cat >repos/org/liar/.mock.json <<JSON
{"wrong_sha": ["bad.gguf"], "size_lies": {"big.gguf": 9999},
 "gguf": {"total": 8000000000, "architecture": "qwen3", "context_length": 40960},
 "cardData": {"license": "apache-2.0"}, "likes": 4}
JSON

# not in $(...): start_fixture must run in this shell to record the pid
start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl --token "$TOKEN" --page-size 2 >/dev/null || exit 1
P=$(cat hub.port)
H=http://127.0.0.1:$P
CDN=$(cat cdn.port)

hdr() { # file name -> value of that header (last response)
	tr -d '\r' <"$1" | sed -n "s/^$2: //Ip" | tail -n 1
}
loc=$(curl -s -o /dev/null -w "%{redirect_url}" "$H/org/m-GGUF/resolve/main/m-Q4_K_M.gguf")

test_expect_success 'LFS file: 302 to the CDN port with linked etag and size' '
	curl -sI "$H/org/m-GGUF/resolve/main/m-Q4_K_M.gguf" >h &&
	head -n 1 h | grep -q " 302 " &&
	hdr h location | grep -q "^http://127.0.0.1:$CDN/cdn/org/m-GGUF/.*Signature=" &&
	sha=$(sha256sum repos/org/m-GGUF/m-Q4_K_M.gguf | cut -c1-64) &&
	test "$(hdr h x-linked-etag)" = "\"$sha\"" &&
	test "$(hdr h x-linked-size)" = 300000 &&
	hdr h x-repo-commit | grep -Eq "^[0-9a-f]{40}$" &&
	hdr h etag | grep -q .
'

test_expect_success 'CDN serves the bytes and honours Range' '
	# the same file; the signature may differ (it expires a second later)
	test "$(hdr h location | sed "s/?.*//")" = "${loc%%\?*}" &&
	curl -sf "$loc" -o got && cmp got repos/org/m-GGUF/m-Q4_K_M.gguf &&
	curl -s -r 100-199 -D rh "$loc" -o part &&
	head -n 1 rh | grep -q " 206 " &&
	test "$(hdr rh content-range)" = "bytes 100-199/300000" &&
	test "$(wc -c <part)" = 100
'

test_expect_success 'CDN refuses an Authorization header and a bad signature' '
	code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer x" "$loc") &&
	test "$code" = 400 &&
	bad=$(echo "$loc" | sed "s/Signature=[0-9a-f]*/Signature=deadbeef/") &&
	code=$(curl -s -o /dev/null -w "%{http_code}" "$bad") && test "$code" = 403
'

test_expect_success 'small file: 307 relative, then 200 with the git sha1 etag' '
	curl -sI "$H/org/m-GGUF/resolve/main/README.md" >h2 &&
	head -n 1 h2 | grep -q " 307 " &&
	hdr h2 location | grep -q "^/api/resolve-cache/models/org/m-GGUF/" &&
	curl -sL "$H/org/m-GGUF/resolve/main/README.md" >readme &&
	test "$(cat readme)" = hello &&
	curl -sIL "$H/org/m-GGUF/resolve/main/README.md" >h3 &&
	sha1=$( (printf "blob 6\0"; cat readme) | sha1sum | cut -c1-40) &&
	test "$(hdr h3 etag)" = "\"$sha1\""
'

test_expect_success 'tree API pages with Link rel=next and lists everything' '
	curl -s -D t1 "$H/api/models/org/m-GGUF/tree/main?recursive=true" >p1 &&
	next=$(hdr t1 link | sed -n "s/^<\(.*\)>; rel=\"next\"$/\1/p") &&
	test -n "$next" &&
	curl -s -D t2 "$next" >p2 &&
	test -z "$(hdr t2 link)" &&
	cat p1 p2 | python3 -c "import json,sys; t=sys.stdin.read().replace(\"][\",\",\"); \
paths=sorted(e[\"path\"] for e in json.loads(t)); \
assert paths==[\"Q8\",\"Q8/m-Q8_0.gguf\",\"README.md\",\"m-Q4_K_M.gguf\"], paths"
'

test_expect_success 'search filters gguf, sorts by downloads, hides private repos' '
	curl -s -D sh1 "$H/api/models?filter=gguf&sort=downloads&limit=10" >s1.json &&
	next=$(hdr sh1 link | sed -n "s/^<\(.*\)>; rel=\"next\"$/\1/p") &&
	echo "$next" | grep -q "filter=gguf" &&
	curl -s -D sh2 "$next" >s2.json && test -z "$(hdr sh2 link)" &&
	python3 -c "import json; d=json.load(open(\"s1.json\"))+json.load(open(\"s2.json\")); \
ids=[m[\"id\"] for m in d]; \
assert ids==[\"org/gated\",\"org/liar\",\"org/m-GGUF\"], ids"
'

test_expect_success 'errors: missing repo 401 unauthenticated, 404 with a token' '
	curl -sI "$H/org/nope/resolve/main/x.gguf" >e1 &&
	head -n 1 e1 | grep -q " 401 " && test "$(hdr e1 x-error-code)" = RepoNotFound &&
	curl -sI -H "Authorization: Bearer $TOKEN" "$H/org/nope/resolve/main/x.gguf" >e2 &&
	head -n 1 e2 | grep -q " 404 " && test "$(hdr e2 x-error-code)" = RepoNotFound
'

test_expect_success 'errors: gated 401 / 403, private 401, entry and revision not found' '
	curl -sI "$H/org/gated/resolve/main/g.gguf" >g1 &&
	head -n 1 g1 | grep -q " 401 " && test "$(hdr g1 x-error-code)" = GatedRepo &&
	curl -sI -H "Authorization: Bearer $TOKEN" "$H/org/gated/resolve/main/g.gguf" >g2 &&
	head -n 1 g2 | grep -q " 403 " && test "$(hdr g2 x-error-code)" = GatedRepo &&
	curl -sI "$H/org/priv/resolve/main/p.gguf" >g3 && head -n 1 g3 | grep -q " 401 " &&
	curl -sI "$H/org/m-GGUF/resolve/main/none.gguf" >g4 &&
	test "$(hdr g4 x-error-code)" = EntryNotFound && hdr g4 x-repo-commit | grep -q . &&
	curl -sI "$H/org/m-GGUF/resolve/v9/README.md" >g5 &&
	test "$(hdr g5 x-error-code)" = RevisionNotFound
'

test_expect_success 'model info: blobs=true siblings, gguf, cardData, expand' '
	curl -sf "$H/api/models/org/liar?blobs=true" >info.json &&
	python3 -c "import json; d=json.load(open(\"info.json\")); \
s={x[\"rfilename\"]: x for x in d[\"siblings\"]}; \
assert s[\"big.gguf\"][\"lfs\"][\"size\"]==9999 and len(s[\"bad.gguf\"][\"lfs\"][\"sha256\"])==64; \
assert d[\"gguf\"][\"architecture\"]==\"qwen3\" and d[\"cardData\"][\"license\"]==\"apache-2.0\"; \
assert len(d[\"sha\"])==40 and d[\"likes\"]==4" &&
	curl -sf "$H/api/models/org/liar?expand=likes" >ex.json &&
	python3 -c "import json; d=json.load(open(\"ex.json\")); assert sorted(d)==[\"_id\",\"id\",\"likes\"], d"
'

test_expect_success 'wrong_sha and size_lies change what the Hub advertises, not the bytes' '
	sha=$(sha256sum repos/org/liar/bad.gguf | cut -c1-64) &&
	curl -sI "$H/org/liar/resolve/main/bad.gguf" >w1 &&
	test -n "$(hdr w1 x-linked-etag)" &&
	test "$(hdr w1 x-linked-etag)" != "\"$sha\"" &&
	curl -sL "$H/org/liar/resolve/main/bad.gguf" | cmp - repos/org/liar/bad.gguf &&
	curl -sI "$H/org/liar/resolve/main/big.gguf" >w2 &&
	test "$(hdr w2 x-linked-size)" = 9999
'

test_expect_success 'faults: 429 with Retry-After once, then normal' '
	curl -sf -XPOST -d "{\"action\":\"status\",\"status\":429,\"retry_after\":7,\"count\":1,\"match\":\"README\"}" \
		"$H/_mock/fault" >/dev/null &&
	curl -sI "$H/org/m-GGUF/resolve/main/README.md" >f1 &&
	head -n 1 f1 | grep -q " 429 " && test "$(hdr f1 retry-after)" = 7 &&
	curl -sI "$H/org/m-GGUF/resolve/main/README.md" >f2 && head -n 1 f2 | grep -q " 307 "
'

test_expect_success 'faults: dropped connection mid-body, ignored Range' '
	curl -sf -XPOST -d "{\"action\":\"drop\",\"after\":1000,\"count\":1,\"server\":\"cdn\"}" \
		"$H/_mock/fault" >/dev/null &&
	test_must_fail curl -s "$loc" -o cut &&
	test "$(wc -c <cut)" = 1000 &&
	curl -sf -XPOST -d "{\"action\":\"ignore_range\",\"server\":\"cdn\"}" "$H/_mock/fault" >/dev/null &&
	curl -s -r 0-9 -D ir "$loc" -o all && head -n 1 ir | grep -q " 200 " &&
	cmp all repos/org/m-GGUF/m-Q4_K_M.gguf &&
	curl -sf -XDELETE "$H/_mock/fault" >/dev/null
'

test_expect_success 'a repository added later appears after a rescan' '
	mkdir -p repos/late/new && echo x >repos/late/new/n.gguf &&
	code=$(curl -s -o /dev/null -w "%{http_code}" "$H/api/models/late/new") && test "$code" = 401 &&
	curl -sf -XPOST "$H/_mock/rescan" >/dev/null &&
	code=$(curl -s -o /dev/null -w "%{http_code}" "$H/api/models/late/new") && test "$code" = 200
'

test_expect_success 'request log records Authorization presence, never the token' '
	test_grep "\"auth\": true" req.jsonl &&
	test_grep "\"range\": \"bytes=100-199\"" req.jsonl &&
	test_grep "\"Authorization\": \"\[redacted\]\"" req.jsonl &&
	test_grep -v "$TOKEN" req.jsonl
'

# a second instance (started here, not in a test's subshell, so that it is stopped)
start_fixture hub2.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub2.port \
	--cdn-port-file cdn2.port --throttle 400000 \
	--fault "status,status=503,count=1,match=README" >/dev/null || exit 1
H2=http://127.0.0.1:$(cat hub2.port)

test_expect_success 'faults and throttling given on the command line' '
	code=$(curl -s -o /dev/null -w "%{http_code}" "$H2/org/m-GGUF/resolve/main/README.md") &&
	test "$code" = 503 &&
	code=$(curl -s -o /dev/null -w "%{http_code}" "$H2/org/m-GGUF/resolve/main/README.md") &&
	test "$code" = 307 &&
	t=$(curl -sL -o thr.out -w "%{time_total}" "$H2/org/m-GGUF/resolve/main/m-Q4_K_M.gguf") &&
	cmp thr.out repos/org/m-GGUF/m-Q4_K_M.gguf &&
	echo "throttled transfer: $t s" &&
	# 300000 bytes at 400000 B/s: never faster than 0.6 s; under load any
	# slower, so the upper bound only catches a hang
	awk -v t="$t" "BEGIN { exit !(t >= 0.6 && t < 60) }"
'

test_done
