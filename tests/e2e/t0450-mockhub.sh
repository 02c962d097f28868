#!/bin/sh
# The mock Hub + CDN behaves like PROTOCOLS.md section 1 says (checked with curl).
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

P=$(start_fixture hub.port python3 "$FIXTURES/mockhub.py" --repos repos --port-file hub.port \
	--cdn-port-file cdn.port --log req.jsonl --token "$TOKEN" --page-size 2) || exit 1
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
	test "$(hdr h location)" = "$loc" &&
	curl -sf "$loc" -o got && cmp got repos/org/m-GGUF/m-Q4_K_M.gguf &&
	curl -s -r 100-199 -D rh "$loc" -o part &&
	head -n 1 rh | grep -q " 206 " &&
	test "$(hdr rh content-range)" = "bytes 100-199/300000" &&
	test "$(wc -c <part)" = 100
'

test_expect_success 'CDN refuses an Authorization header and a bad signature' '
	code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer x" "$loc") &&
	test "$code" = 400 &&
	bad=$(echo "$loc" | sed "s/Signature=./Signature=0/") &&
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
	curl -s "$H/api/models?filter=gguf&sort=downloads&limit=10" >s.json &&
	python3 -c "import json; d=json.load(open(\"s.json\")); ids=[m[\"id\"] for m in d]; \
assert ids==[\"org/gated\",\"org/m-GGUF\"], ids"
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

test_expect_success 'request log records Authorization presence, never the token' '
	test_grep "\"auth\": true" req.jsonl &&
	test_grep "\"range\": \"bytes=100-199\"" req.jsonl &&
	test_grep -v "$TOKEN" req.jsonl
'

test_done
