#!/bin/sh
# run-all.sh: every benchmark in scripts/bench/ (make bench). Each prints one
# line per figure with the reference measured in the same run and the ratio;
# they are shown as they come, then a summary: every figure again, one line
# each, and per script its time and status. BENCH="pull startup" limits the
# run to those scripts. Exit 1 when a script failed.
cd "$(dirname "$0")" || exit 1
OUT=$(mktemp -d "${TMPDIR:-/tmp}/lm-bench-all.XXXXXX")
trap 'rm -rf "$OUT"' EXIT INT TERM
rc=0
echo "load: $(cut -d" " -f1-3 /proc/loadavg 2>/dev/null) on $(nproc 2>/dev/null) cores"
for b in *.sh; do
	name=${b%.sh}
	[ "$b" = run-all.sh ] && continue
	case " ${BENCH:-$name} " in *" $name "*) ;; *) continue ;; esac
	echo "== $b"
	t0=$(date +%s)
	if sh "./$b" >"$OUT/$name.out" 2>"$OUT/$name.err"; then
		st=ok
	else
		st="FAILED (exit $?)"
		rc=1
	fi
	cat "$OUT/$name.out"
	# stderr is shown when it failed or said why it skipped
	if [ "$st" != ok ] || grep -q skip "$OUT/$name.err"; then
		sed 's/^/  | /' "$OUT/$name.err" | tail -n 20
	fi
	echo "$name: $st in $(($(date +%s) - t0)) s" >>"$OUT/status"
done
echo
echo "== summary"
for f in "$OUT"/*.out; do
	[ -e "$f" ] || continue
	grep -v '^[[:space:]]*$' "$f"
	grep -h 'skipped' "${f%.out}.err" 2>/dev/null
done
echo "== scripts"
cat "$OUT/status" 2>/dev/null
exit $rc
