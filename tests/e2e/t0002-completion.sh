#!/bin/sh
test_description='shell completions are driven by the binary'
. "$(dirname "$0")/lib.sh"

test_expect_success '__complete lists every command' '
	localmodel __complete >out &&
	test "$(wc -l <out)" = 11 &&
	test_grep "^cleanup$" out
'

test_expect_success '__complete CMD lists that command options' '
	localmodel __complete pull >out &&
	test_grep "^--connections$" out &&
	test_grep "^--json$" out
'

test_lazy_prereq BASH 'command -v bash'

test_expect_success BASH 'bash completion completes commands and options' '
	bash -c ". \"$SRC_DIR/scripts/completions/localmodel.bash\";
		COMP_WORDS=(localmodel pu); COMP_CWORD=1; _localmodel; echo \"\${COMPREPLY[*]}\"" >out &&
	test_grep "^pull$" out &&
	bash -c ". \"$SRC_DIR/scripts/completions/localmodel.bash\";
		COMP_WORDS=(localmodel pull --conn); COMP_CWORD=2; _localmodel; echo \"\${COMPREPLY[*]}\"" >out &&
	test_grep "^--connections$" out
'

test_done
