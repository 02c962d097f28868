#!/bin/sh
test_description='declared subcommands: checked by the dispatcher, offered by completion'
. "$(dirname "$0")/lib.sh"

test_expect_success 'an unknown subcommand or a missing NAME is a usage error' '
	test_expect_code 2 localmodel models frobnicate 2>err &&
	test_grep "unknown subcommand .frobnicate. (show, rm, pin, unpin)" err &&
	test_grep "^usage: localmodel models" err &&
	test_expect_code 2 localmodel models rm 2>err &&
	test_grep "rm. needs one model NAME" err &&
	test_expect_code 2 localmodel models pin a b 2>err &&
	test_grep "pin. needs one model NAME" err
'

test_expect_success '__complete models offers the subcommands and the options' '
	localmodel __complete models >out &&
	test_grep "^show$" out &&
	test_grep "^rm$" out &&
	test_grep "^unpin$" out &&
	test_grep "^--all$" out
'

test_expect_success 'bash: subcommands right after the command, files after them' '
	command -v bash >/dev/null &&
	bash -c ". \"$SRC_DIR/scripts/completions/localmodel.bash\";
		COMP_WORDS=(localmodel models r); COMP_CWORD=2; _localmodel; echo \"\${COMPREPLY[*]}\"" >out &&
	test "$(cat out)" = rm &&
	bash -c ". \"$SRC_DIR/scripts/completions/localmodel.bash\";
		COMP_WORDS=(localmodel models --al); COMP_CWORD=2; _localmodel; echo \"\${COMPREPLY[*]}\"" >out &&
	test "$(cat out)" = --all &&
	touch rmfile &&
	bash -c ". \"$SRC_DIR/scripts/completions/localmodel.bash\";
		COMP_WORDS=(localmodel models rm rmf); COMP_CWORD=3; _localmodel; echo \"\${COMPREPLY[*]}\"" >out &&
	test "$(cat out)" = rmfile
'

test_done
