complete -c check_http_health -s U -l url -d 'The URL to check (same as the positional URL)' -r
complete -c check_http_health -s H -l hostname -d 'Host name: the Host header, SNI and, without -I, where to connect' -r
complete -c check_http_health -s I -l IP-address -d 'Address to connect to (the Host header stays -H\'s)' -r
complete -c check_http_health -s p -l port -d 'Port [default: 80, 443 with -S]' -r
complete -c check_http_health -s u -l path -d 'Path and query with -H/-I' -r
complete -c check_http_health -s j -l method -d 'HTTP method [default: GET, POST with --data]' -r
complete -c check_http_health -s k -l header -d 'Extra request header \'Name: value\' (repeatable)' -r
complete -c check_http_health -l header-env -d 'Header whose value is read from an environment variable: \'Name: VAR\' (repeatable)' -r
complete -c check_http_health -l bearer-env -d 'Send \'Authorization: Bearer <value of VAR>\'' -r
complete -c check_http_health -l auth-file -d 'Basic auth from a file holding \'user:password\' (one line)' -r -F
complete -c check_http_health -s a -l authorization -d 'Basic auth \'user:password\' (visible in ps: prefer --auth-file)' -r
complete -c check_http_health -l data -d 'Request body' -r
complete -c check_http_health -l data-file -d 'Request body read from a file' -r -F
complete -c check_http_health -s T -l content-type -d 'Content-Type of the request body' -r
complete -c check_http_health -l resolve -d 'Connect to ADDRESS for HOST:PORT instead of resolving it (repeatable)' -r
complete -c check_http_health -s f -l onredirect -d 'What a redirect (3xx) is: ok, warning, critical, or follow it' -r
complete -c check_http_health -l max-redirects -d 'The most redirects followed with --onredirect follow' -r
complete -c check_http_health -s e -l expect -d 'Status codes that are OK: codes and classes, comma-separated (200,204,2xx)' -r
complete -c check_http_health -s w -l warning -d 'WARNING range for the response time in seconds' -r
complete -c check_http_health -s c -l critical -d 'CRITICAL range for the response time in seconds' -r
complete -c check_http_health -s s -l string -d 'Text the body must contain' -r
complete -c check_http_health -s r -l regex -d 'Extended regex the body must match' -r
complete -c check_http_health -l json-eq -d 'JSON assertion POINTER=VALUE (RFC 6901 pointer, e.g. /status=UP; repeatable)' -r
complete -c check_http_health -l json-metric -d 'JSON number to report and judge: LABEL=POINTER (repeatable)' -r
complete -c check_http_health -l json-warning -d 'WARNING range for every --json-metric' -r
complete -c check_http_health -l json-critical -d 'CRITICAL range for every --json-metric' -r
complete -c check_http_health -l health -d 'Health-document format: auto, none, spring, ietf, microprofile, aspnet, k8s' -r
complete -c check_http_health -l ca-file -d 'Trust these CA certificates (PEM) instead of the system\'s' -r -F
complete -c check_http_health -l client-cert -d 'Client certificate chain (PEM)' -r -F
complete -c check_http_health -l client-key -d 'Client private key (PEM)' -r -F
complete -c check_http_health -l sni -d 'TLS server name (SNI, certificate name and Host) when it differs from the host connected to' -r
complete -c check_http_health -l cert-warning -d 'WARNING when the certificate expires within this many days' -r
complete -c check_http_health -l cert-critical -d 'CRITICAL when the certificate expires within this many days' -r
complete -c check_http_health -l max-body -d 'Read at most this much body (larger is WARNING): bytes, or 64KB, 2MB' -r
complete -c check_http_health -l unreachable-state -d 'State when the server cannot be reached (refused, DNS, TLS, timeout)' -r
complete -c check_http_health -s t -l timeout -d 'Hard deadline for the whole run; on expiry print "timed out" and exit with STATE (default CRITICAL). 0 disables the deadline' -r
complete -c check_http_health -l timeout-result -d 'State to exit with when the deadline expires: ok, warning, critical, unknown or 0-3' -r
complete -c check_http_health -l output-format -d 'Output for Nagios/Icinga (default), as one JSON object, or as a Checkmk local check' -r -f -a "nagios\t'`SERVICE STATE: summary`, `\\_[STATE]` long output, perfdata after `|`'
json\t'One JSON object, for jq and scripts'
checkmk\t'A Checkmk local check line'"
complete -c check_http_health -l service-name -d 'Name shown before the state (nagios) or as the Checkmk service name' -r
complete -c check_http_health -s S -l ssl -d 'Use HTTPS with -H/-I'
complete -c check_http_health -s 4 -d 'Connect over IPv4 only'
complete -c check_http_health -s 6 -d 'Connect over IPv6 only'
complete -c check_http_health -l no-proxy -d 'Ignore http_proxy, https_proxy and no_proxy'
complete -c check_http_health -l invert-regex -d 'The body must NOT contain --string / match --regex'
complete -c check_http_health -l insecure -d 'Do not verify the server\'s certificate (expiry is still reported)'
complete -c check_http_health -s E -l extended-perfdata -d 'Also report time_connect, time_tls and time_firstbyte in perfdata'
complete -c check_http_health -s v -l verbose -d 'More detail in the long output (repeatable; -v lists every finding)'
complete -c check_http_health -s h -l help -d 'Print help (see more with \'--help\')'
complete -c check_http_health -s V -l version -d 'Print version'
