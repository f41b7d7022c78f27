complete -c check_procs -s w -l warning -d 'Range for WARNING (of the count, or of each process\'s metric)' -r
complete -c check_procs -s c -l critical -d 'Range for CRITICAL' -r
complete -c check_procs -s m -l metric -d 'What the thresholds judge: PROCS (the count, default), or per process VSZ or RSS (KiB), CPU (%) or ELAPSED (seconds)' -r
complete -c check_procs -s s -l state -l status -d 'Only processes whose ps STAT contains these flags, e.g. Z, D, R, Ss' -r
complete -c check_procs -s p -l ppid -d 'Only children of this parent PID' -r
complete -c check_procs -s z -l vsz -d 'Only processes with VSZ of at least this many KiB' -r
complete -c check_procs -s r -l rss -d 'Only processes with RSS of at least this many KiB' -r
complete -c check_procs -s P -l pcpu -d 'Only processes using at least this %CPU (lifetime average like ps, or over --cpu-sample)' -r
complete -c check_procs -s u -l user -d 'Only processes of this user (name, or numeric uid even without a passwd entry)' -r
complete -c check_procs -s a -l argument-array -d 'Only processes whose args contain this text' -r
complete -c check_procs -l ereg-argument-array -d 'Only processes whose args match this POSIX extended regular expression' -r
complete -c check_procs -s C -l command -d 'Only processes with exactly this command name (also beyond the kernel\'s 15 characters)' -r
complete -c check_procs -s X -l exclude-process -d 'Leave out processes with these command names (comma-separated)' -r
complete -c check_procs -l cgroup -d 'Only processes whose /proc/PID/cgroup contains this text' -r
complete -c check_procs -l container -d 'Only processes inside this running container: a name, an id, or a prefix of either (asked of the Docker or Podman socket; DOCKER_HOST=unix://... picks one)' -r
complete -c check_procs -l cpu-sample -d 'Measure %CPU now, over this interval (e.g. 500ms, 2s), instead of the lifetime average ps shows' -r
complete -c check_procs -s t -l timeout -d 'Hard deadline for the whole run; on expiry print "timed out" and exit with STATE (default CRITICAL). 0 disables the deadline' -r
complete -c check_procs -l timeout-result -d 'State to exit with when the deadline expires: ok, warning, critical, unknown or 0-3' -r
complete -c check_procs -l output-format -d 'Output for Nagios/Icinga (default), as one JSON object, or as a Checkmk local check' -r -f -a "nagios\t'`SERVICE STATE: summary`, `\\_[STATE]` long output, perfdata after `|`'
json\t'One JSON object, for jq and scripts'
checkmk\t'A Checkmk local check line'"
complete -c check_procs -l service-name -d 'Name shown before the state (nagios) or as the Checkmk service name' -r
complete -c check_procs -s k -l no-kthreads -d 'Leave out kernel threads'
complete -c check_procs -s T -l traditional-filter -l traditional -d 'Accepted for compatibility: this check always leaves out itself by PID'
complete -c check_procs -s v -l verbose -d 'More detail in the long output (repeatable; -v lists every finding)'
complete -c check_procs -s h -l help -d 'Print help (see more with \'--help\')'
complete -c check_procs -s V -l version -d 'Print version'
