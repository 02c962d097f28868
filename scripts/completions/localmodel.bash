# bash completion for localmodel; commands and options come from the binary
# itself (localmodel __complete [COMMAND]) so they never drift.
_localmodel() {
	local cur cmd i at subs
	cur=${COMP_WORDS[COMP_CWORD]}
	cmd=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--home) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; at=$i; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--json --quiet --home --version --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(localmodel __complete 2>/dev/null) help" -- "$cur"))
		fi
	elif [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(localmodel __complete "$cmd" 2>/dev/null | grep '^-')" -- "$cur"))
	else
		# the word right after a command with subcommands is one of them
		subs=""
		((COMP_CWORD == at + 1)) && subs=$(localmodel __complete "$cmd" 2>/dev/null | grep -v '^-')
		if [[ -n $subs ]]; then
			COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
	fi
}
complete -F _localmodel localmodel
