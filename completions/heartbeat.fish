# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_heartbeat_global_optspecs
    string join \n h/help V/version
end

function __fish_heartbeat_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_heartbeat_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_heartbeat_using_subcommand
    set -l cmd (__fish_heartbeat_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c heartbeat -n "__fish_heartbeat_needs_command" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -s V -l version -d 'Print version'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "beat" -d 'Write one heartbeat now'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "run" -d 'Run a command, beating with its PID while it runs; exit with its exit code'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "stop" -d 'Mark a clean stop (status "stopped"), or remove the heartbeat'
complete -c heartbeat -n "__fish_heartbeat_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand beat" -s f -l file -d 'The heartbeat file (replaced atomically)' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand beat" -s k -l key -d 'Process key [default: the file name without extension]' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand beat" -s p -l pid -d 'PID to vouch for [default: the calling process, e.g. the script running this]' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand beat" -s s -l status -d 'Self-reported status: running, degraded, failed, stopped, ...' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand beat" -s i -l iteration -d 'Set the iteration counter to N' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand beat" -s m -l message -d 'A message shown by the check' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand beat" -l interval -d 'How often you beat (90s, 5m): check_heartbeat\'s default thresholds are 2x and 3x this' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand beat" -l no-pid -d 'Write no PID (the check then judges only age and status)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand beat" -l increment -d 'Add one to the iteration in the current file (1 if there is none)'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand beat" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand run" -s f -l file -d 'The heartbeat file (replaced atomically)' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand run" -s k -l key -d 'Process key [default: the file name without extension]' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand run" -l interval -d 'How often to beat while the command runs' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand run" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand stop" -s f -l file -d 'The heartbeat file' -r -F
complete -c heartbeat -n "__fish_heartbeat_using_subcommand stop" -s m -l message -d 'A message shown by the check' -r
complete -c heartbeat -n "__fish_heartbeat_using_subcommand stop" -l remove -d 'Remove the file instead of marking it stopped'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand stop" -s h -l help -d 'Print help'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from beat run stop help" -f -a "beat" -d 'Write one heartbeat now'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from beat run stop help" -f -a "run" -d 'Run a command, beating with its PID while it runs; exit with its exit code'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from beat run stop help" -f -a "stop" -d 'Mark a clean stop (status "stopped"), or remove the heartbeat'
complete -c heartbeat -n "__fish_heartbeat_using_subcommand help; and not __fish_seen_subcommand_from beat run stop help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
