//! The `sfkit` binary's integration tests, in one test binary with a module per concern (as
//! ripgrep's `tests/tests.rs`). Each drives the built binary as a person or a program would.
//!
//! * [`cli`]: `soql`/`sosl`, help, usage errors, a closed stdout;
//! * [`data`]: `run`, `actions`, `query`, `search`, `describe`, `limits`, and exit codes;
//!   [`output`]: what their output looks like (tables, child records, streamed pages);
//! * [`bulk`]: `bulk load` and `bulk export`;
//! * [`login`]: `login` by each flow, saved logins; [`keyring`]: their key in the OS keyring;
//! * [`orgs`]: one local org shared by every process, choosing the org, `config` and `org`;
//! * [`emulator_process`]: `sfkit emulator` as a process (restarts, SIGTERM, kill -9);
//! * [`serve`] and [`mcp`]: the HTTP server and its API keys, MCP over stdio.
//!
//! [`common`] holds what several modules use: temporary directories, the binary with the OS
//! keyring off, an emulator in another process, a pseudo-terminal, a stand-in query server.

mod common;

mod bulk;
mod cli;
mod data;
mod emulator_process;
mod keyring;
mod login;
mod mcp;
mod orgs;
mod output;
mod serve;
