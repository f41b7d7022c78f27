//! remediate: checks services and, after consecutive failures, runs their recovery
//! pipelines, safely and with a record of everything it did. Facts come from the checks
//! (`checks`), are judged by `decide` (pure), acted on by `pipeline` and `process`, and
//! recorded in `store`; `engine` runs a pass, `app` is the command line's one door.

pub mod app;
pub mod checks;
pub mod cli;
pub mod config;
pub mod decide;
pub mod detach;
pub mod engine;
pub mod lock;
pub mod pipeline;
pub mod process;
pub mod report;
pub mod self_check;
pub mod stop;
pub mod store;
pub mod telemetry;
pub mod tell;

pub use app::main_impl;
