//! `sovra`: runs nodes and devnets, and is the command-line client of the network.
//!
//! This file only parses the command line, runs the command and turns its outcome into an exit
//! status; each command is a module under [`commands`] that owns its arguments.

mod args;
mod commands;
mod issuer;
mod keystore;
mod logging;
mod output;
mod progress;
mod session;
mod signer;
mod time;
mod vault_secret;

use clap::Parser;

fn main() {
    let cli = commands::Cli::parse();
    restore_sigpipe(cli.command.is_server());
    if let Err(e) = cli.command.run() {
        eprintln!("error: {e:#}");
        std::process::exit(exit_code(&e));
    }
}

/// The exit status of a failed command: [`signer::TxOutcome::exit_code`] when a transaction did
/// not complete (3 when it is not final in time), else 1.
fn exit_code(e: &anyhow::Error) -> i32 {
    e.chain()
        .find_map(|cause| cause.downcast_ref::<signer::TxOutcome>())
        .map_or(1, signer::TxOutcome::exit_code)
}

/// Commands that run servers keep ignoring SIGPIPE (a peer closing a socket must not kill a
/// node); every other command dies quietly on it, as Unix tools do, so `sovra status | head -1`
/// prints no panic.
fn restore_sigpipe(server: bool) {
    if !server {
        // SAFETY: setting a signal's disposition to the default is async-signal-safe and done
        // before any other thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}
