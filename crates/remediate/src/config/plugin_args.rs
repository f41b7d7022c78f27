//! A plugin check's arguments, parsed once when the configuration is loaded: a typo in
//! them is a problem `validate` reports with its location, not a check that answers
//! UNKNOWN at every pass.

use clap::Parser;

/// The arguments of an in-process plugin check, as written and as parsed.
#[derive(Debug, Clone)]
pub struct PluginArgs<A> {
    argv: Vec<String>,
    parsed: A,
}

impl<A: Parser> PluginArgs<A> {
    /// Parses `argv` (without the program name) as plugin `name`'s command line; the
    /// problem in one line when it does not parse.
    pub fn parse(name: &str, argv: Vec<String>) -> Result<PluginArgs<A>, String> {
        let parsed = A::try_parse_from(std::iter::once(name.to_owned()).chain(argv.clone()))
            .map_err(|error| {
                triage_core::runner::usage_error(name, &error, "")
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })?;
        Ok(PluginArgs { argv, parsed })
    }
}

impl<A> PluginArgs<A> {
    /// The arguments as written in the configuration.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// The plugin's parsed command line.
    pub fn parsed(&self) -> &A {
        &self.parsed
    }
}

/// Equal when written alike: the parsed form follows from the written one.
impl<A> PartialEq for PluginArgs<A> {
    fn eq(&self, other: &Self) -> bool {
        self.argv == other.argv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_that_do_not_parse_are_one_line_naming_the_plugin() {
        let error = PluginArgs::<triage_check_procs::Args>::parse(
            "check_procs",
            vec!["--no-such-option".into()],
        )
        .expect_err("refused");
        assert!(error.starts_with("check_procs: "), "{error}");
        assert!(error.contains("--no-such-option"), "{error}");
        assert!(!error.contains('\n'));
        let parsed = PluginArgs::<triage_check_procs::Args>::parse(
            "check_procs",
            vec!["-C".into(), "postgres".into()],
        )
        .expect("parses");
        assert_eq!(parsed.argv(), ["-C", "postgres"]);
    }
}
