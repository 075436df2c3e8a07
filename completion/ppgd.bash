# bash completion for ppgd(8). Commands, subcommands and options come from
# the program's own help (ppgd help CMD [SUB]), so they never drift from it.
_ppgd()
{
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
	local prog=${words[0]} i cmd="" sub="" list
	# Skip the global options before the command.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-c | --config) ((i++)) ;;
		-*) ;;
		*) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
		esac
	done
	case $prev in
	-c | --config | -o | --output | --html | --agenda)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			list="-c --config -v --verbose --log-time -V --version -h --help"
		else
			list=$("$prog" help 2>/dev/null | awk '/^  [a-z]/ { print $1 }')
		fi
		COMPREPLY=($(compgen -W "$list" -- "$cur"))
		return
	fi
	local help
	help=$("$prog" help "$cmd" ${sub:+"$sub"} 2>/dev/null)
	if [[ $cur == -* ]]; then
		list=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
		list="$list --help"
	elif [[ -z $sub ]]; then
		list=$(printf '%s\n' "$help" |
			awk -v c="$cmd" '$1 == "ppgd" && $2 == c { print $3 }')
		[[ -z $list ]] && COMPREPLY=($(compgen -f -- "$cur")) && return
	else
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W "$list" -- "$cur"))
}
complete -F _ppgd ppgd
