# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_remediate_global_optspecs
    string join \n c/config= h/help V/version
end

function __fish_remediate_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_remediate_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_remediate_using_subcommand
    set -l cmd (__fish_remediate_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c remediate -n "__fish_remediate_needs_command" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_needs_command" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_needs_command" -s V -l version -d 'Print version'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "check" -d 'One pass over all enabled services: check, and run pipelines that are due'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "watch" -d 'Pass after pass until SIGTERM or SIGINT (a service; see packaging/systemd)'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "event" -d 'For Nagios and Icinga event handlers: act on a service\'s state change'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "maint" -d 'Maintenance: no action on a service for a while (it is still checked)'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "run" -d 'Run a service\'s recovery pipeline now'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "restart" -d 'Run a service\'s recovery pipeline now (the Watchdog\'s name for `run`)'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "on" -d 'Switch the service on (checked and remediated again) and start it if it is down'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "off" -d 'Switch the service off (no checks, no remediation) and stop its process'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "start-all" -d '`on` for every configured service'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "stop-all" -d '`off` for every configured service'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "status" -d 'Each service\'s state'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "history" -d 'What happened: state changes, pipeline runs and their steps, newest first'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "validate" -d 'Check the configuration and print every problem'
complete -c remediate -n "__fish_remediate_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c remediate -n "__fish_remediate_using_subcommand check" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand check" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand watch" -l interval -d 'From the start of one pass to the start of the next [default: the configuration\'s `interval`, else 15s]' -r
complete -c remediate -n "__fish_remediate_using_subcommand watch" -l concurrency -d 'Services checked at once [default: the configuration\'s `concurrency`, else 4]' -r
complete -c remediate -n "__fish_remediate_using_subcommand watch" -l passes -d 'Stop after this many passes (tried: a pass skipped for the lock counts)' -r
complete -c remediate -n "__fish_remediate_using_subcommand watch" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand watch" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand event" -s s -l state -d 'The state, Icinga 2\'s form' -r
complete -c remediate -n "__fish_remediate_using_subcommand event" -s t -l state-type -d 'SOFT or HARD, Icinga 2\'s form' -r
complete -c remediate -n "__fish_remediate_using_subcommand event" -s a -l attempt -d 'The check attempt, Icinga 2\'s form' -r
complete -c remediate -n "__fish_remediate_using_subcommand event" -l source -d 'Who is calling, for the audit log [default: nagios for the positional form, icinga for -s -t -a]' -r -f -a "nagios\t''
icinga\t''
cli\t''"
complete -c remediate -n "__fish_remediate_using_subcommand event" -l output -d 'The plugin output ($SERVICEOUTPUT$), kept with the run' -r
complete -c remediate -n "__fish_remediate_using_subcommand event" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand event" -l dry-run -d 'Say what would be done; change nothing'
complete -c remediate -n "__fish_remediate_using_subcommand event" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand maint" -l for -d 'How long; it ends by itself' -r
complete -c remediate -n "__fish_remediate_using_subcommand maint" -l reason -d 'Why, for the history and the status' -r
complete -c remediate -n "__fish_remediate_using_subcommand maint" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand maint" -l list -d 'The open maintenance windows'
complete -c remediate -n "__fish_remediate_using_subcommand maint" -l end -d 'End the service\'s window now'
complete -c remediate -n "__fish_remediate_using_subcommand maint" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand run" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand run" -l dry-run -d 'Print the pipeline and what each step would do; change nothing'
complete -c remediate -n "__fish_remediate_using_subcommand run" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand restart" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand restart" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand on" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand on" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand off" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand off" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand start-all" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand start-all" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand stop-all" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand stop-all" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand status" -l output-format -d 'Act as a Nagios plugin (exit 0-3): CRITICAL when a service is out of budget or the last pass is older than --max-pass-age, WARNING while one is failing' -r -f -a "nagios\t'`SERVICE STATE: summary`, `\\_[STATE]` long output, perfdata after `|`'
json\t'One JSON object, for jq and scripts'
checkmk\t'A Checkmk local check line'"
complete -c remediate -n "__fish_remediate_using_subcommand status" -l max-pass-age -d 'With --output-format: the oldest the last pass may be' -r
complete -c remediate -n "__fish_remediate_using_subcommand status" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand status" -l json -d 'One JSON object'
complete -c remediate -n "__fish_remediate_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c remediate -n "__fish_remediate_using_subcommand history" -l since -d 'How far back (90m, 12h, 7d)' -r
complete -c remediate -n "__fish_remediate_using_subcommand history" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand history" -l json -d 'JSON lines, one per entry'
complete -c remediate -n "__fish_remediate_using_subcommand history" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand validate" -s c -l config -d 'Configuration file (TOML, JSON, or a Watchdog config.json) [default: $REMEDIATE_CONFIG, else /etc/triage/remediate.toml]' -r -F
complete -c remediate -n "__fish_remediate_using_subcommand validate" -s h -l help -d 'Print help'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "check" -d 'One pass over all enabled services: check, and run pipelines that are due'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "watch" -d 'Pass after pass until SIGTERM or SIGINT (a service; see packaging/systemd)'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "event" -d 'For Nagios and Icinga event handlers: act on a service\'s state change'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "maint" -d 'Maintenance: no action on a service for a while (it is still checked)'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "run" -d 'Run a service\'s recovery pipeline now'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "restart" -d 'Run a service\'s recovery pipeline now (the Watchdog\'s name for `run`)'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "on" -d 'Switch the service on (checked and remediated again) and start it if it is down'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "off" -d 'Switch the service off (no checks, no remediation) and stop its process'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "start-all" -d '`on` for every configured service'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "stop-all" -d '`off` for every configured service'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "status" -d 'Each service\'s state'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "history" -d 'What happened: state changes, pipeline runs and their steps, newest first'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "validate" -d 'Check the configuration and print every problem'
complete -c remediate -n "__fish_remediate_using_subcommand help; and not __fish_seen_subcommand_from check watch event maint run restart on off start-all stop-all status history validate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
