//! The integration suite: one binary (so it links once), a module per area. Every test
//! runs the real binaries against real files and processes the test creates.

mod support;

mod check_heartbeat;
mod heartbeat_cmd;
mod man_pages;
mod readme_writers;
mod runner;
