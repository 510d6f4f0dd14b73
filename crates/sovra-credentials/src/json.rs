//! Strict JSON parsing of documents that are signed or verified.
//!
//! A signature covers the parsed document, while a person reads the bytes.
//! Two JSON features let the two differ, so documents are refused when they
//! use them:
//!
//! - **duplicate keys**: parsers keep the last (serde_json, JavaScript's
//!   `JSON.parse`) or the first, so a viewer may show a value the signature
//!   does not cover;
//! - **numbers that do not survive**: every processor (JSON-LD's RDF
//!   conversion, JCS, JavaScript) reads numbers as IEEE doubles, so
//!   `12345678901234567891` and `12345678901234567890` are the same signed
//!   value. A number is accepted only if its decimal value is exactly the
//!   value of the shortest decimal form of the double it parses to (so
//!   `0.1`, `1.50` and `1e21` pass; `0.10000000000000001` and integers
//!   beyond 2^53 that are not doubles do not).
//!
//! Every entry point that takes a credential or presentation as bytes (the
//! CLI, the node's VC-API, the issuer service) parses with
//! [`parse_document`].

use serde_json::Value;

use crate::{CredentialError, ErrorDetail};

/// The largest integer magnitude every JSON processor represents exactly
/// (2^53).
pub const MAX_SAFE_INTEGER: u64 = 1 << 53;

/// Parses `bytes` as one JSON value, refusing duplicate object keys and
/// numbers that do not survive conversion to a double (see the module
/// documentation). Nesting is limited to serde_json's 128 levels.
pub fn parse_document(bytes: &[u8]) -> Result<Value, CredentialError> {
    // serde_json first: it bounds nesting depth before anything else walks
    // the structure.
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| CredentialError::MalformedDocument(ErrorDetail::caused("invalid JSON", e)))?;
    let (syntax, _) = <json_syntax::Value as json_syntax::Parse>::parse_slice(bytes)
        .map_err(|e| CredentialError::MalformedDocument(ErrorDetail::caused("invalid JSON", e)))?;
    let mut path = String::new();
    check_syntax(&syntax, &mut path)?;
    Ok(value)
}

fn check_syntax(value: &json_syntax::Value, path: &mut String) -> Result<(), CredentialError> {
    match value {
        json_syntax::Value::Number(n) => check_number_text(n.as_str()).map_err(|reason| {
            CredentialError::MalformedDocument(format!("{} {reason}", at(path)).into())
        }),
        json_syntax::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                check_syntax(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        json_syntax::Value::Object(object) => {
            let mut seen = std::collections::HashSet::new();
            for entry in object.iter() {
                let key = entry.key.as_str();
                let len = path.len();
                push_key(path, key);
                if !seen.insert(key) {
                    return Err(CredentialError::MalformedDocument(
                        format!(
                            "duplicate key {}: a reader may see another value than the one signed",
                            at(path)
                        )
                        .into(),
                    ));
                }
                check_syntax(&entry.value, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Appends `/key` to a JSON pointer (RFC 6901 escaping).
pub(crate) fn push_key(path: &mut String, key: &str) {
    path.push('/');
    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
}

/// `path` for messages: the JSON pointer, or "the document" for the root.
pub(crate) fn at(path: &str) -> String {
    if path.is_empty() {
        "the document".to_owned()
    } else {
        format!("`{path}`")
    }
}

/// Checks that the JSON number `text` is exactly the value of the double it
/// parses to, up to the shortest decimal form of that double.
pub(crate) fn check_number_text(text: &str) -> Result<(), String> {
    let parsed: f64 = text
        .parse()
        .map_err(|_| format!("is not a number: {text}"))?;
    if !parsed.is_finite() {
        return Err(format!("is a number too large for a double: {text}"));
    }
    let written = decimal(text).ok_or_else(|| format!("is not a JSON number: {text}"))?;
    let shortest = decimal(&format!("{parsed:e}")).ok_or_else(|| format!("unreadable {text}"))?;
    if written != shortest {
        return Err(format!(
            "is the number {text}, which every processor reads as {parsed:e}: the signature \
             would not tell them apart (write it as a string)"
        ));
    }
    Ok(())
}

/// A decimal number as (negative, significant digits, power of ten), with no
/// leading or trailing zeros in the digits; zero is `(false, "", 0)`.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.strip_prefix('+').unwrap_or(e).parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: String = int.chars().chain(frac.chars()).collect();
    let mut power = exponent.checked_sub(i64::try_from(frac.len()).ok()?)?;
    while digits.ends_with('0') {
        digits.pop();
        power = power.checked_add(1)?;
    }
    let digits = digits.trim_start_matches('0').to_owned();
    if digits.is_empty() {
        return Some((false, String::new(), 0));
    }
    Some((negative, digits, power))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_that_survive_a_double_are_accepted() {
        for ok in [
            "0",
            "-0",
            "1",
            "1.0",
            "1.50",
            "0.1",
            "-2.5e-3",
            "1e21",
            "9007199254740992",
            "1E+2",
            "123456789",
        ] {
            assert_eq!(check_number_text(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn numbers_a_double_rounds_are_refused() {
        for bad in [
            "12345678901234567891",
            "9007199254740993",
            "0.10000000000000001",
            "1e400",
            "-1e400",
        ] {
            assert!(check_number_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(parse_document(br#"{"a": 1, "b": {"c": 1, "c": 2}}"#).is_err());
        assert!(parse_document(br#"{"a": 1, "a": 1}"#).is_err());
        assert_eq!(
            parse_document(br#"{"a": [{"c": 1}, {"c": 2}]}"#).unwrap(),
            serde_json::json!({"a": [{"c": 1}, {"c": 2}]})
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(parse_document(deep.as_bytes()).is_err());
    }
}
