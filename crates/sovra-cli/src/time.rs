//! Times on the command line: now, times and durations given as arguments, and times and
//! durations as the CLI prints them.

use anyhow::{Context as _, Result, anyhow, bail};
use sovra_types::datetime::parse_datetime;

/// Milliseconds since the unix epoch, by this machine's clock.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Parses a time: RFC 3339, `YYYY-MM-DD` (midnight UTC) or `+N{s,m,h,d}` from now.
pub(crate) fn parse_when(s: &str) -> Result<u64> {
    if let Some(rel) = s.strip_prefix('+') {
        return Ok(now_ms() + parse_duration(rel)?);
    }
    let full = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_string()
    };
    Ok(parse_datetime(&full)?)
}

/// Parses `N`, `Nms`, `Ns`, `Nm`, `Nh` or `Nd` into milliseconds (bare numbers are seconds).
pub(crate) fn parse_duration(s: &str) -> Result<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().with_context(|| format!("bad duration {s:?}"))?;
    let factor = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => bail!("bad duration unit in {s:?} (ms, s, m, h or d)"),
    };
    n.checked_mul(factor)
        .ok_or_else(|| anyhow!("duration {s:?} too long"))
}

/// A time in milliseconds since the Unix epoch as RFC 3339 (whole seconds).
pub(crate) fn time(ms: u64) -> String {
    sovra_types::datetime::format_ms(ms)
}

/// An instant as RFC 3339 (to the millisecond when it has milliseconds).
pub(crate) fn format_time(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        sovra_types::datetime::format_ms(ms)
    } else {
        sovra_types::datetime::format_ms_exact(ms)
    }
}

/// A duration in days, hours, minutes and seconds (`7d`, `1h30m`, `90ms`).
pub(crate) fn format_duration(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = ms / 1000;
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_parse() {
        assert_eq!(parse_duration("90").unwrap(), 90_000);
        assert_eq!(parse_duration("250ms").unwrap(), 250);
        assert_eq!(parse_duration("7d").unwrap(), 7 * 86_400_000);
        assert!(parse_duration("7w").is_err());
        assert!(parse_duration("d").is_err());
        assert_eq!(parse_when("2023-01-01").unwrap(), 1_672_531_200_000);
        assert_eq!(
            parse_when("2023-01-01T00:00:01Z").unwrap(),
            1_672_531_201_000
        );
        let soon = parse_when("+1h").unwrap();
        assert!(soon > now_ms() + 3_500_000);
        assert!(parse_when("tomorrow").is_err());
    }
}
