//! The node's log: `tracing` to stdout, with terminal colours only when stdout is a terminal
//! (and `NO_COLOR` is unset), and without the warnings storage libraries print on every normal
//! first start.

use std::io::IsTerminal as _;

use tracing::{Event, Level, Subscriber, field::Field};
use tracing_subscriber::{
    EnvFilter, Layer,
    layer::{Context, SubscriberExt as _},
    util::SubscriberInitExt as _,
};

/// Warnings commonware's storage logs whenever it creates a new store or has not pruned yet:
/// expected on a node's first start (and until it prunes), not a sign of trouble.
const EXPECTED_WARNINGS: &[&str] = &[
    "bitmap metadata does not contain pruned chunks, initializing as empty",
    "Authenticated log is empty, initializing new db",
    "Authenticated log is empty, initialized new db.",
];

/// Starts logging with `filter` (tracing `EnvFilter` syntax), or `RUST_LOG` when set.
pub(crate) fn init(filter: &str) {
    let env = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::registry()
        .with(env)
        .with(DropExpectedWarnings)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(ansi)
                .with_target(false),
        )
        .try_init();
}

/// Drops the [`EXPECTED_WARNINGS`] (matched by their exact message, at WARN level only).
struct DropExpectedWarnings;

impl<S: Subscriber> Layer<S> for DropExpectedWarnings {
    fn event_enabled(&self, event: &Event<'_>, _ctx: Context<'_, S>) -> bool {
        if *event.metadata().level() != Level::WARN {
            return true;
        }
        let mut visitor = MessageIs { expected: false };
        event.record(&mut visitor);
        !visitor.expected
    }
}

/// Records whether an event's message is one of the [`EXPECTED_WARNINGS`].
struct MessageIs {
    expected: bool,
}

impl tracing::field::Visit for MessageIs {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let text = format!("{value:?}");
            self.expected |= EXPECTED_WARNINGS.contains(&text.as_str());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.expected |= EXPECTED_WARNINGS.contains(&value);
        }
    }
}
