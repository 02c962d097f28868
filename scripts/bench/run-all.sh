#!/bin/sh
# run-all.sh: every benchmark in scripts/bench/, one line per figure.
cd "$(dirname "$0")" || exit 1
rc=0
for b in *.sh; do
	[ "$b" = run-all.sh ] && continue
	echo "== $b"
	sh "./$b" || rc=1
done
exit $rc
