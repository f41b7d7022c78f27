_check_container() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="check_container"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        check_container)
            opts="-a -l -n -x -H -t -v -h -V --all --label --name --exclude --missing-state --host --podman --api-version --expect-status --allow-exited --expect-exit --no-health --start-grace --restarts-warning --restarts-critical --restart-count-warning --restart-count-critical --uptime-warning --uptime-critical --cpu-warning --cpu-critical --memory-warning --memory-critical --stats --state-dir --timeout --timeout-result --verbose --output-format --service-name --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --label)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -l)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --name)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -n)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --exclude)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -x)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --missing-state)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -H)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --api-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expect-status)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expect-exit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --start-grace)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --restarts-warning)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --restarts-critical)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --restart-count-warning)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --restart-count-critical)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --uptime-warning)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --uptime-critical)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cpu-warning)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cpu-critical)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --memory-warning)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --memory-critical)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --state-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -t)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --timeout-result)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --output-format)
                    COMPREPLY=($(compgen -W "nagios json checkmk" -- "${cur}"))
                    return 0
                    ;;
                --service-name)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _check_container -o nosort -o bashdefault -o default check_container
else
    complete -F _check_container -o bashdefault -o default check_container
fi
