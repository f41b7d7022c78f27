//! check_procs's command line: the C plugin's options with their semantics (filters in
//! command-line order, positional `-w -c -s`, first `-C`/`-a`/`-s`/`-X` wins, abbreviated
//! long options), plus the strict range parsing and the container and sampling options.

use std::sync::Arc;

use clap::error::ErrorKind;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use triage_core::cli::VERSION;
use triage_core::runner::PluginArgs;
use triage_core::{CommonArgs, Range, Thresholds, parse_seconds};
use triage_proc::{user_by_name, user_by_uid};

use crate::container::ContainerSelector;
use crate::filter::Filter;
use crate::metric::Metric;
use triage_core::regex::PosixRegex;

/// The options as clap parses them; [`Args`] turns them into ordered filters.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "check_procs",
    version = VERSION,
    term_width = 80,
    infer_long_args = true,
    args_override_self = true,
    about = "Counts processes (or judges each one's VSZ, RSS, CPU or age) against Nagios \
thresholds. A drop-in for the Monitoring Plugins' check_procs that reads /proc itself, never \
counts itself, its parent or children, and can look inside containers.",
    after_help = "Filters AND together and are listed in the first line in command-line order. \
The first and second arguments without an option are -w and -c (when not given), the third \
is -s. RANGEs are [@]start:end (10, 10:, ~:10, 10:20, @10:20); quote ranges that contain ~.\n\n\
Examples:\n  check_procs -w 2:2 -c 2:1024 -C portsentry\n  check_procs -c 1: -C nginx \
--container web\n  check_procs -w 10 -a '/usr/local/bin/perl' -u root\n  check_procs -m RSS \
-w 500000 -c 1000000 -C java -v\n  check_procs -m CPU -w 50 -c 90 --cpu-sample 500ms\n  \
check_procs -C sshd --output-format json | jq '.processes[].pid'"
)]
pub struct RawArgs {
    /// Range for WARNING (of the count, or of each process's metric).
    #[arg(short = 'w', long = "warning", value_name = "RANGE", allow_hyphen_values = true, value_parser = Range::parse)]
    pub warning: Option<Range>,

    /// Range for CRITICAL.
    #[arg(short = 'c', long = "critical", value_name = "RANGE", allow_hyphen_values = true, value_parser = Range::parse)]
    pub critical: Option<Range>,

    /// What the thresholds judge: PROCS (the count, default), or per process VSZ or RSS
    /// (KiB), CPU (%) or ELAPSED (seconds).
    #[arg(short = 'm', long = "metric", value_name = "METRIC", default_value = "PROCS", value_parser = Metric::parse)]
    pub metric: Metric,

    /// Only processes whose ps STAT contains these flags, e.g. Z, D, R, Ss.
    #[arg(short = 's', long = "state", visible_alias = "status", value_name = "STATUSFLAGS", action = clap::ArgAction::Append, help_heading = "Filters")]
    pub state: Vec<String>,

    /// Only children of this parent PID.
    #[arg(short = 'p', long = "ppid", value_name = "PPID", value_parser = parse_ppid, action = clap::ArgAction::Append, help_heading = "Filters")]
    pub ppid: Vec<i32>,

    /// Only processes with VSZ of at least this many KiB.
    #[arg(short = 'z', long = "vsz", value_name = "KIB", value_parser = parse_kib, action = clap::ArgAction::Append, help_heading = "Filters")]
    pub vsz: Vec<i64>,

    /// Only processes with RSS of at least this many KiB.
    #[arg(short = 'r', long = "rss", value_name = "KIB", value_parser = parse_kib, action = clap::ArgAction::Append, help_heading = "Filters")]
    pub rss: Vec<i64>,

    /// Only processes using at least this %CPU (lifetime average like ps, or over
    /// --cpu-sample).
    #[arg(short = 'P', long = "pcpu", value_name = "PERCENT", value_parser = parse_percent, action = clap::ArgAction::Append, help_heading = "Filters")]
    pub pcpu: Vec<f64>,

    /// Only processes of this user (name, or numeric uid even without a passwd entry).
    #[arg(short = 'u', long = "user", value_name = "USER", value_parser = parse_user, action = clap::ArgAction::Append, help_heading = "Filters")]
    pub user: Vec<UserFilter>,

    /// Only processes whose args contain this text.
    #[arg(short = 'a', long = "argument-array", value_name = "STRING", action = clap::ArgAction::Append, help_heading = "Filters")]
    pub argument: Vec<String>,

    /// Only processes whose args match this POSIX extended regular expression.
    #[arg(long = "ereg-argument-array", value_name = "REGEX", value_parser = parse_regex, action = clap::ArgAction::Append, help_heading = "Filters")]
    pub regex: Vec<CompiledRegex>,

    /// Only processes with exactly this command name (also beyond the kernel's 15
    /// characters).
    #[arg(short = 'C', long = "command", value_name = "COMMAND", action = clap::ArgAction::Append, help_heading = "Filters")]
    pub command: Vec<String>,

    /// Leave out processes with these command names (comma-separated).
    #[arg(short = 'X', long = "exclude-process", value_name = "NAME,...", action = clap::ArgAction::Append, help_heading = "Filters")]
    pub exclude: Vec<String>,

    /// Leave out kernel threads.
    #[arg(short = 'k', long = "no-kthreads", help_heading = "Filters")]
    pub no_kthreads: bool,

    /// Only processes whose /proc/PID/cgroup contains this text.
    #[arg(long = "cgroup", value_name = "TEXT", action = clap::ArgAction::Append, help_heading = "Filters")]
    pub cgroup: Vec<String>,

    /// Only processes inside this running container: a name, an id, or a prefix of either
    /// (asked of the Docker or Podman socket; DOCKER_HOST=unix://... picks one).
    #[arg(long = "container", value_name = "NAME|ID", value_parser = parse_container, action = clap::ArgAction::Append, help_heading = "Filters")]
    pub container: Vec<String>,

    /// Measure %CPU now, over this interval (e.g. 500ms, 2s), instead of the lifetime
    /// average ps shows.
    #[arg(long = "cpu-sample", value_name = "DURATION", value_parser = parse_sample)]
    pub cpu_sample: Option<f64>,

    /// Accepted for compatibility: this check always leaves out itself by PID.
    #[arg(
        short = 'T',
        long = "traditional-filter",
        visible_alias = "traditional"
    )]
    pub traditional: bool,

    /// Accepted and ignored, as by the C plugin.
    #[arg(long = "elapsed", value_name = "IGNORED", hide = true)]
    pub elapsed: Option<String>,

    /// WARNING range, CRITICAL range and STATUSFLAGS given without options.
    #[arg(value_name = "ARGS", num_args = 0..=3, allow_hyphen_values = true)]
    pub positional: Vec<String>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: CommonArgs,
}

/// A `-u` argument resolved against the passwd database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFilter {
    /// The uid.
    pub uid: u32,
    /// Its login name, when it has one.
    pub name: Option<String>,
}

/// A compiled `--ereg-argument-array`, with the pattern as given.
#[derive(Debug, Clone)]
pub struct CompiledRegex {
    /// The compiled form, shared.
    pub regex: Arc<PosixRegex>,
    /// The text as given.
    pub pattern: String,
}

/// check_procs's arguments: the parsed options, the thresholds and the filters in
/// command-line order.
#[derive(Debug, Clone)]
pub struct Args {
    /// Everything clap parsed.
    pub raw: RawArgs,
    /// -w/-c, or the positional ranges.
    pub thresholds: Thresholds,
    /// The filters in the order they were given.
    pub filters: Vec<Filter>,
}

impl Args {
    /// The metric judged.
    pub fn metric(&self) -> Metric {
        self.raw.metric
    }
}

impl PluginArgs for Args {
    fn common(&self) -> &CommonArgs {
        &self.raw.common
    }

    /// The C plugin prints its `-m` metric where other plugins print their service.
    fn service(&self) -> Option<String> {
        Some(self.raw.metric.name().to_owned())
    }
}

impl CommandFactory for Args {
    fn command() -> clap::Command {
        RawArgs::command()
    }

    fn command_for_update() -> clap::Command {
        RawArgs::command_for_update()
    }
}

impl FromArgMatches for Args {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Args, clap::Error> {
        let raw = RawArgs::from_arg_matches(matches)?;
        let mut positional = raw.positional.iter();
        let mut next_range = |given: &Option<Range>, what: &str| match given {
            Some(range) => Ok(Some(range.clone())),
            None => positional
                .next()
                .map(|text| {
                    Range::parse(text).map_err(|error| {
                        clap::Error::raw(
                            ErrorKind::ValueValidation,
                            format!("{what} (given without -w/-c): {error}"),
                        )
                    })
                })
                .transpose(),
        };
        let warning = next_range(&raw.warning, "warning range")?;
        let critical = next_range(&raw.critical, "critical range")?;
        let positional_state = positional.next().cloned();
        let filters = ordered_filters(&raw, matches, positional_state);
        Ok(Args {
            thresholds: Thresholds::new(warning, critical),
            filters,
            raw,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Args::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Parser for Args {}

/// The filters sorted by where their option appeared; `-C`, `-a`, `-s` and `-X` keep their
/// first occurrence only (the C plugin ignores later ones), and a positional STATUSFLAGS
/// comes last, only when there is no `-s`.
fn ordered_filters(
    raw: &RawArgs,
    matches: &ArgMatches,
    positional_state: Option<String>,
) -> Vec<Filter> {
    // Each occurrence of an option becomes its filter(s), tagged with the option's position.
    let mut indexed: Vec<(usize, Vec<Filter>)> = Vec::new();
    let mut add = |id: &str, first_only: bool, filters: &mut dyn Iterator<Item = Vec<Filter>>| {
        let indices = matches.indices_of(id).into_iter().flatten();
        let take = if first_only { 1 } else { usize::MAX };
        indexed.extend(indices.zip(filters).take(take));
    };
    let one = |filter: Filter| vec![filter];
    add(
        "state",
        true,
        &mut raw.state.iter().map(|s| one(Filter::State(s.clone()))),
    );
    add(
        "ppid",
        false,
        &mut raw.ppid.iter().map(|p| one(Filter::Ppid(*p))),
    );
    add(
        "vsz",
        false,
        &mut raw.vsz.iter().map(|k| one(Filter::Vsz(*k))),
    );
    add(
        "rss",
        false,
        &mut raw.rss.iter().map(|k| one(Filter::Rss(*k))),
    );
    add(
        "pcpu",
        false,
        &mut raw.pcpu.iter().map(|p| one(Filter::Pcpu(*p))),
    );
    add(
        "user",
        false,
        &mut raw.user.iter().map(|u| {
            one(Filter::User {
                uid: u.uid,
                name: u.name.clone(),
            })
        }),
    );
    add(
        "argument",
        true,
        &mut raw.argument.iter().map(|a| one(Filter::Args(a.clone()))),
    );
    add(
        "regex",
        false,
        &mut raw
            .regex
            .iter()
            .map(|r| one(Filter::Regex(r.regex.clone(), r.pattern.clone()))),
    );
    add(
        "command",
        true,
        &mut raw.command.iter().map(|c| Filter::command(c)),
    );
    add(
        "exclude",
        true,
        &mut raw.exclude.iter().map(|given| {
            let names = given
                .split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_owned);
            one(Filter::Exclude(names.collect(), given.clone()))
        }),
    );
    add(
        "cgroup",
        false,
        &mut raw.cgroup.iter().map(|c| one(Filter::Cgroup(c.clone()))),
    );
    add(
        "container",
        false,
        &mut raw.container.iter().map(|given| {
            one(Filter::Container(ContainerSelector::resolved(
                given,
                Vec::new(),
            )))
        }),
    );
    indexed.sort_by_key(|(index, _)| *index);
    let mut filters: Vec<Filter> = indexed.into_iter().flat_map(|(_, f)| f).collect();
    if raw.state.is_empty()
        && let Some(flags) = positional_state
    {
        filters.push(Filter::State(flags));
    }
    if raw.no_kthreads {
        filters.push(Filter::NoKernelThreads);
    }
    filters
}

/// `-p`: a whole number and nothing else (`1x` is the C plugin's error case too).
fn parse_ppid(text: &str) -> Result<i32, String> {
    text.trim_start()
        .parse()
        .map_err(|_| format!("parent process ID must be an integer, not '{text}'"))
}

/// `-r`, `-z`: KiB as a whole number.
fn parse_kib(text: &str) -> Result<i64, String> {
    text.trim_start()
        .parse()
        .map_err(|_| format!("expected a whole number of KiB, not '{text}'"))
}

/// `-P`: a decimal percentage (the C plugin took `1.5.5` as 1.5; we do not).
fn parse_percent(text: &str) -> Result<f64, String> {
    triage_core::number::parse_decimal(text.trim_start())
        .ok_or_else(|| format!("expected a percentage such as 5 or 12.5, not '{text}'"))
}

/// `-u`: a login name, or a uid (which need not be in passwd: containers run as uids the
/// host does not know).
fn parse_user(text: &str) -> Result<UserFilter, String> {
    if let Ok(uid) = text.parse::<u32>() {
        return Ok(UserFilter {
            uid,
            name: user_by_uid(uid).map(|user| user.name),
        });
    }
    user_by_name(text)
        .map(|user| UserFilter {
            uid: user.uid,
            name: Some(user.name),
        })
        .ok_or_else(|| format!("user name was not found - '{text}'"))
}

/// `--ereg-argument-array`: compiled now so a bad pattern is a usage error.
fn parse_regex(text: &str) -> Result<CompiledRegex, String> {
    PosixRegex::new(text)
        .map(|regex| CompiledRegex {
            regex: Arc::new(regex),
            pattern: text.to_owned(),
        })
        .map_err(|error| format!("could not compile regular expression '{text}': {error}"))
}

/// `--container`: a name or id (prefix); resolved against the engine when the check runs.
fn parse_container(text: &str) -> Result<String, String> {
    match text.is_empty() || text.contains('/') {
        true => Err(format!("'{text}' is not a container name or id")),
        false => Ok(text.to_owned()),
    }
}

/// `--cpu-sample`: more than nothing and at most a minute.
fn parse_sample(text: &str) -> Result<f64, String> {
    parse_seconds(text)
        .filter(|s| *s > 0.0 && *s <= 60.0)
        .ok_or_else(|| {
            format!("expected a duration from 1ms to 60s such as 500ms or 2s, not '{text}'")
        })
}
