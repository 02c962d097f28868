#!/bin/sh
test_description='every option a command reads is declared in its table'
. "$(dirname "$0")/lib.sh"

# Each args_has/args_get/args_get_all/args_get_long/args_get_size("NAME") in a command
# file must name an option of that file's table or a common one; a typo
# would otherwise stop the program at run time. A helper file NAME_*.c of
# command NAME.c (serve_rpc.c) reads the table of NAME.c.
undeclared() { # file -> the names used but not declared
	python3 - "$1" <<-\PY
	import os, re, sys
	src = open(sys.argv[1]).read()
	base = os.path.basename(sys.argv[1])
	table = src
	if "_" in base:
	    table = open(os.path.join(os.path.dirname(sys.argv[1]), base.split("_")[0] + ".c")).read()
	declared = set(re.findall(r'\{\s*"([a-z0-9-]+)",\s*(?:\'.\'|0),\s*LM_OPT_', table))
	declared |= {"json", "quiet", "help"}
	used = set(re.findall(r'args_(?:has|get|get_all|get_long|get_size)\([^,]+,\s*"([a-z0-9-]+)"', src))
	for name in sorted(used - declared):
	    print("%s: --%s" % (sys.argv[1], name))
	PY
}

test_expect_success 'no command reads an option it did not declare' '
	for f in "$SRC_DIR"/src/cmd/*.c; do
		undeclared "$f" || exit 1
	done >bad &&
	{ test ! -s bad || { cat bad >&2; false; }; }
'

test_expect_success 'the check sees a typo (a sabotaged copy of a command)' '
	sed "s/args_get(args, \"host\")/args_get(args, \"hots\")/; s/args_get(a, \"host\")/args_get(a, \"hots\")/" \
		"$SRC_DIR/src/cmd/serve.c" >serve-typo.c &&
	undeclared serve-typo.c >bad &&
	test_grep "serve-typo.c: --hots" bad
'

test_done
