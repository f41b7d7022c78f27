//! remediate: checks services and, after consecutive failures, runs their recovery
//! pipelines, safely and with a record of everything it did.
//!
//! Data flows one way, and no module uses one listed above it:
//! `app` (the subcommands and their exit codes) → `render` (every text and JSON view) →
//! `engine` (orchestration that returns data) → `notify` (webhooks, pings, textfile) →
//! `self_check` → `probe` (running one check) → `act` (child processes, verified kill,
//! start, the steps) → `decide` (pure judgement) → `store` (persistence) → `lock`,
//! `stop`, `detach` → `config` → `model` (states, outcomes, times and their words).

pub mod act;
pub mod app;
pub mod cli;
pub mod config;
pub mod decide;
pub mod detach;
pub mod engine;
pub mod lock;
pub mod model;
pub mod notify;
pub mod probe;
pub mod render;
pub mod self_check;
pub mod stop;
pub mod store;

pub use app::main_impl;

#[cfg(test)]
mod layering;
