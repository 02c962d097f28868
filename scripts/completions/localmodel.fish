# fish completion for localmodel; commands and options come from the binary.
function __localmodel_cmd
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case --home
                set skip 1
            case '-*'
            case '*'
                echo $w
                return 0
        end
    end
    return 1
end
complete -c localmodel -f -n 'not __localmodel_cmd' -a '(localmodel __complete 2>/dev/null) help'
complete -c localmodel -n 'not __localmodel_cmd' -l json -d 'print JSON'
complete -c localmodel -n 'not __localmodel_cmd' -l quiet -d 'print nothing but errors'
complete -c localmodel -n 'not __localmodel_cmd' -l home -r -d 'state directory'
complete -c localmodel -n 'not __localmodel_cmd' -l version -d 'print the version'
complete -c localmodel -n '__localmodel_cmd' -a '(localmodel __complete (__localmodel_cmd) 2>/dev/null)'
