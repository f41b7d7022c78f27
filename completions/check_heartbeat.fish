complete -c check_heartbeat -s f -l file -d 'Heartbeat file to check (repeatable)' -r -F
complete -c check_heartbeat -l dir -d 'Check every heartbeat in this directory that matches --glob' -r -F
complete -c check_heartbeat -l glob -d 'File-name pattern for --dir (shell glob; hidden files never match)' -r
complete -c check_heartbeat -s w -l warning -d 'Age range for WARNING (seconds, or 90s/5m/2h/1d)' -r
complete -c check_heartbeat -s c -l critical -d 'Age range for CRITICAL (seconds, or 90s/5m/2h/1d)' -r
complete -c check_heartbeat -l max-skew -d 'How far in the future a timestamp may be before the clocks are suspect' -r
complete -c check_heartbeat -l missing-state -d 'State when a heartbeat file does not exist' -r
complete -c check_heartbeat -l invalid-state -d 'State when a heartbeat is not valid JSON (after one retry)' -r
complete -c check_heartbeat -l stall-warning -d 'WARNING when `iteration` has not changed for this long (needs the state directory)' -r
complete -c check_heartbeat -l stall-critical -d 'CRITICAL when `iteration` has not changed for this long (needs the state directory)' -r
complete -c check_heartbeat -l state-dir -d 'Where stall detection keeps what it saw last time [default: $STATE_DIRECTORY, /var/lib/triage as root, else $XDG_STATE_HOME/triage or ~/.local/state/triage]' -r -F
complete -c check_heartbeat -s t -l timeout -d 'Hard deadline for the whole run; on expiry print "timed out" and exit with STATE (default CRITICAL). 0 disables the deadline' -r
complete -c check_heartbeat -l timeout-result -d 'State to exit with when the deadline expires: ok, warning, critical, unknown or 0-3' -r
complete -c check_heartbeat -l output-format -d 'Output for Nagios/Icinga (default), as one JSON object, or as a Checkmk local check' -r -f -a "nagios\t'`SERVICE STATE: summary`, `\\_[STATE]` long output, perfdata after `|`'
json\t'One JSON object, for jq and scripts'
checkmk\t'A Checkmk local check line'"
complete -c check_heartbeat -l service-name -d 'Name shown before the state (nagios) or as the Checkmk service name' -r
complete -c check_heartbeat -l mtime -d 'Judge the files\' modification time instead of a JSON heartbeat (any file or directory)'
complete -c check_heartbeat -l allow-stopped -d 'A heartbeat with status stopped/stopping is OK (its PID is not checked; its age is)'
complete -c check_heartbeat -l follow-symlinks -d 'Follow a symlink at the heartbeat path (refused by default)'
complete -c check_heartbeat -l ignore-pid -d 'Do not check the PID (heartbeats written in another PID namespace, e.g. a container)'
complete -c check_heartbeat -s v -l verbose -d 'More detail in the long output (repeatable; -v lists every finding)'
complete -c check_heartbeat -s h -l help -d 'Print help (see more with \'--help\')'
complete -c check_heartbeat -s V -l version -d 'Print version'
