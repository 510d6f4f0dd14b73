//! How read commands print their answer: `-o text` (the default, for people), `-o json` (stable,
//! for scripts) or `--print FIELD` (one value, unquoted, for shell variables such as
//! `ALICE=$(sovra key new alice --print did)`).
//!
//! Times are printed as RFC 3339, never as raw milliseconds.

use std::io::Write as _;

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::Value;

use crate::time::{format_duration, format_time};

/// Output format of a read command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Lines for people (the default).
    #[default]
    Text,
    /// Pretty-printed JSON; field names are stable.
    Json,
}

/// The output options of a command.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct OutputArgs {
    /// Output format: `text` for people, `json` (stable field names) for scripts.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Print only this field of the JSON output, unquoted (e.g. `did`, `id`, `balance`), for a
    /// shell variable: `ALICE=$(sovra key new alice --print did)`. A dotted path reaches inside
    /// objects (`header.height`).
    #[arg(long, value_name = "FIELD", conflicts_with = "format")]
    pub(crate) print: Option<String>,
}

impl OutputArgs {
    /// Prints `value` as the options ask: its JSON, one field of it, or `text(value)`.
    pub(crate) fn emit<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce(&T) -> String,
    ) -> Result<()> {
        if let Some(field) = &self.print {
            let json = serde_json::to_value(value)?;
            return out(&field_text(&json, field)?);
        }
        match self.format {
            Format::Json => print_json(value),
            Format::Text => {
                let mut t = text(value);
                if !t.is_empty() && !t.ends_with('\n') {
                    t.push('\n');
                }
                write_stdout(&t)
            }
        }
    }
}

/// The text of one field (a dotted path) of a JSON value: strings unquoted, other values as
/// JSON; an error naming the fields there are if it is absent.
pub(crate) fn field_text(value: &Value, path: &str) -> Result<String> {
    let mut v = value;
    for part in path.split('.') {
        v = match v {
            Value::Object(map) => match map.get(part) {
                Some(inner) => inner,
                None => {
                    let known: Vec<&str> = map.keys().map(String::as_str).collect();
                    bail!(
                        "no field {path:?} in the output (fields: {})",
                        known.join(", ")
                    )
                }
            },
            Value::Array(items) => part
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .with_context(|| format!("no element {part:?} in the output's {path:?}"))?,
            _ => bail!("no field {path:?} in the output"),
        };
    }
    Ok(match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// Prints a value as pretty JSON on stdout.
pub(crate) fn print_json<T: Serialize>(v: &T) -> Result<()> {
    out(&serde_json::to_string_pretty(v)?)
}

/// Prints one line on stdout.
pub(crate) fn out(line: &str) -> Result<()> {
    write_stdout(&format!("{line}\n"))
}

fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// A JSON value as indented `key: value` lines for people: nested objects and lists indented
/// under their key, the items of a top-level list separated by blank lines.
pub(crate) fn fields_text(value: &Value) -> String {
    let mut text = String::new();
    match value {
        Value::Array(items) if items.is_empty() => text.push_str("(none)\n"),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    text.push('\n');
                }
                write_fields(item, 0, &mut text);
            }
        }
        other => write_fields(other, 0, &mut text),
    }
    text
}

fn write_fields(value: &Value, depth: usize, text: &mut String) {
    let indent = "  ".repeat(depth);
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::Object(inner) if !inner.is_empty() => {
                        text.push_str(&format!("{indent}{key}:\n"));
                        write_fields(v, depth + 1, text);
                    }
                    Value::Array(items) if !items.is_empty() => {
                        text.push_str(&format!("{indent}{key}:\n"));
                        for item in items {
                            match item {
                                Value::Object(_) | Value::Array(_) => {
                                    text.push_str(&format!("{indent}  -\n"));
                                    write_fields(item, depth + 2, text);
                                }
                                scalar => {
                                    text.push_str(&format!("{indent}  - {}\n", scalar_text(scalar)))
                                }
                            }
                        }
                    }
                    scalar => text.push_str(&format!("{indent}{key}: {}\n", scalar_text(scalar))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                write_fields(item, depth, text);
            }
        }
        scalar => text.push_str(&format!("{indent}{}\n", scalar_text(scalar))),
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(items) if items.is_empty() => "(none)".into(),
        Value::Object(map) if map.is_empty() => "{}".into(),
        other => other.to_string(),
    }
}

/// Rewrites every `*_ms` number of a JSON value as RFC 3339 (`time_lock_ms` as a duration),
/// under the key without `_ms`: times in the CLI's output are never raw milliseconds.
pub(crate) fn humanize_times(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let ms = map.get(&key).and_then(|v| v.as_u64());
                match (key.strip_suffix("_ms"), ms) {
                    (Some(stem), Some(ms)) => {
                        let text = if stem == "time_lock" {
                            format_duration(ms)
                        } else {
                            format_time(ms)
                        };
                        map.remove(&key);
                        map.insert(stem.to_string(), text.into());
                    }
                    _ => {
                        if let Some(inner) = map.get_mut(&key) {
                            humanize_times(inner);
                        }
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(humanize_times),
        _ => {}
    }
}

/// Prints `value` as `output` asks (text lines, JSON or one field), with its times as RFC 3339.
pub(crate) fn print_with_times<T: Serialize>(value: &T, output: &OutputArgs) -> Result<()> {
    let mut json = serde_json::to_value(value)?;
    humanize_times(&mut json);
    output.emit(&json, fields_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn print_picks_one_field_unquoted() {
        let v =
            json!({"did": "did:key:z6Mk", "balance": 5, "header": {"height": 7}, "list": ["a"]});
        assert_eq!(field_text(&v, "did").unwrap(), "did:key:z6Mk");
        assert_eq!(field_text(&v, "balance").unwrap(), "5");
        assert_eq!(field_text(&v, "header.height").unwrap(), "7");
        assert_eq!(field_text(&v, "list.0").unwrap(), "a");
        let e = field_text(&v, "nonce").unwrap_err().to_string();
        assert!(e.contains("balance, did, header, list"), "{e}");
    }

    #[test]
    fn fields_text_indents_nested_values_and_separates_list_items() {
        let v = json!([
            {"id": "r1", "grants": [{"grantee": "did:key:a", "until": null}], "meta": {"name": "x"}},
            {"id": "r2", "grants": [], "labels": ["a", "b"]}
        ]);
        assert_eq!(
            fields_text(&v),
            "grants:\n  -\n    grantee: did:key:a\n    until: -\nid: r1\nmeta:\n  name: x\n\n\
             grants: (none)\nid: r2\nlabels:\n  - a\n  - b\n"
        );
        assert_eq!(fields_text(&json!([])), "(none)\n");
    }

    #[test]
    fn times_print_as_rfc3339_and_durations_in_units() {
        let mut v = serde_json::json!({
            "entries": [{"time_ms": 1_672_531_200_250u64, "part": "content"}],
            "retain_until_ms": 1_672_531_200_000u64,
            "time_lock_ms": 7 * 86_400_000u64 + 90_000,
            "pending": {"unlock_ms": 1_672_531_201_000u64},
        });
        humanize_times(&mut v);
        assert_eq!(v["entries"][0]["time"], "2023-01-01T00:00:00.250Z");
        assert_eq!(v["retain_until"], "2023-01-01T00:00:00Z");
        assert_eq!(v["time_lock"], "7d1m30s");
        assert_eq!(v["pending"]["unlock"], "2023-01-01T00:00:01Z");
        assert!(!v.to_string().contains("_ms"));
    }
}
