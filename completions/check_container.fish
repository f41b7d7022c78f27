complete -c check_container -s l -l label -d 'Only containers with this label (KEY or KEY=VALUE; repeatable, all must match)' -r
complete -c check_container -s n -l name -d 'Containers whose whole name matches this extended regex (repeatable)' -r
complete -c check_container -s x -l exclude -d 'Leave out containers whose whole name matches this extended regex (repeatable)' -r
complete -c check_container -l missing-state -d 'State when a named container does not exist, or a --name/--label selects none' -r
complete -c check_container -s H -l host -d 'Engine address: unix:///path or tcp://host:port [default: $DOCKER_HOST, else /var/run/docker.sock, /run/podman/podman.sock, $XDG_RUNTIME_DIR/podman/podman.sock]' -r
complete -c check_container -l api-version -d 'Use this API version instead of negotiating one [default: $DOCKER_API_VERSION]' -r
complete -c check_container -l expect-status -d 'Statuses that are OK, comma-separated (created, running, paused, restarting, removing, exited, dead)' -r
complete -c check_container -l expect-exit -d 'Exit codes that count as success with --allow-exited, comma-separated' -r
complete -c check_container -l start-grace -d 'How long a healthcheck may stay "starting" after the container started before it is a WARNING' -r
complete -c check_container -l restarts-warning -d 'WARNING range for restarts seen since the last check (kept in the state directory)' -r
complete -c check_container -l restarts-critical -d 'CRITICAL range for restarts seen since the last check' -r
complete -c check_container -l restart-count-warning -d 'WARNING range for the engine\'s RestartCount (restart-policy restarts since the last manual start)' -r
complete -c check_container -l restart-count-critical -d 'CRITICAL range for the engine\'s RestartCount' -r
complete -c check_container -l uptime-warning -d 'WARNING range for the uptime of running containers (300: or 5m: = up less than 5m)' -r
complete -c check_container -l uptime-critical -d 'CRITICAL range for the uptime of running containers' -r
complete -c check_container -l cpu-warning -d 'WARNING range for CPU use in % of one CPU (fetches stats: about 1 s)' -r
complete -c check_container -l cpu-critical -d 'CRITICAL range for CPU use in % of one CPU' -r
complete -c check_container -l memory-warning -d 'WARNING range for memory: % of the limit (90%) or bytes (512MB)' -r
complete -c check_container -l memory-critical -d 'CRITICAL range for memory: % of the limit (90%) or bytes (512MB)' -r
complete -c check_container -l state-dir -d 'Where restart counts are kept between runs [default: $STATE_DIRECTORY, /var/lib/triage as root, else $XDG_STATE_HOME/triage or ~/.local/state/triage]' -r -F
complete -c check_container -s t -l timeout -d 'Hard deadline for the whole run; on expiry print "timed out" and exit with STATE (default CRITICAL). 0 disables the deadline' -r
complete -c check_container -l timeout-result -d 'State to exit with when the deadline expires: ok, warning, critical, unknown or 0-3' -r
complete -c check_container -l output-format -d 'Output for Nagios/Icinga (default), as one JSON object, or as a Checkmk local check' -r -f -a "nagios\t'`SERVICE STATE: summary`, `\\_[STATE]` long output, perfdata after `|`'
json\t'One JSON object, for jq and scripts'
checkmk\t'A Checkmk local check line'"
complete -c check_container -l service-name -d 'Name shown before the state (nagios) or as the Checkmk service name' -r
complete -c check_container -s a -l all -d 'Check every container, running or not'
complete -c check_container -l podman -d 'Talk to Podman\'s socket (/run/podman/podman.sock, else the rootless one)'
complete -c check_container -l allow-exited -d 'An exited container is OK when its exit code is one of --expect-exit (one-shot jobs)'
complete -c check_container -l no-health -d 'Do not judge healthchecks'
complete -c check_container -l stats -d 'Fetch CPU and memory figures for perfdata even without thresholds'
complete -c check_container -s v -l verbose -d 'More detail in the long output (repeatable; -v lists every finding)'
complete -c check_container -s h -l help -d 'Print help (see more with \'--help\')'
complete -c check_container -s V -l version -d 'Print version'
