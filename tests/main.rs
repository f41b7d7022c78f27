//! The integration suite: one binary (so it links once), a module per area. Every test
//! runs the real binaries against real files and processes the test creates.

mod support;

mod check_container;
mod check_container_dockerd;
mod check_heartbeat;
mod check_http_health;
mod check_procs;
mod check_procs_compat;
mod heartbeat_cmd;
mod hostile;
mod icinga_core;
mod man_pages;
mod nagios_core;
mod packages;
mod packaging;
mod readme_writers;
mod remediate;
mod remediate_clock;
mod remediate_operation;
mod remediate_storage;
mod remediate_trust;
mod runner;
