//! Times as the identity standards write them: XML Schema `dateTime` in UTC
//! (`2026-11-23T10:00:00Z`, RFC 3339), converted to and from the ledger's
//! milliseconds since the Unix epoch.

use crate::TypesError;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// Formats milliseconds since the Unix epoch as `YYYY-MM-DDThh:mm:ssZ`
/// (whole seconds, as DID document metadata and credentials use).
pub fn format_ms(ms: u64) -> String {
    let secs = (ms / 1000).min(253_402_300_799); // 9999-12-31T23:59:59Z
    OffsetDateTime::from_unix_timestamp(secs as i64)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// Formats milliseconds since the Unix epoch with millisecond precision
/// (`2026-11-23T10:00:00.250Z`).
pub fn format_ms_exact(ms: u64) -> String {
    let whole = format_ms(ms);
    let stem = whole.strip_suffix('Z').unwrap_or(&whole);
    format!("{stem}.{:03}Z", ms % 1000)
}

/// Parses the `versionTime` of a DID resolution request. A time with a
/// fractional second is exact to the millisecond; one without stands for
/// the whole second (its last millisecond), so a time copied from a
/// document's `updated` metadata (whole seconds) selects that version.
pub fn parse_version_time(s: &str) -> Result<u64, TypesError> {
    let ms = parse_datetime(s)?;
    let fractional = s.contains('.');
    Ok(if fractional { ms } else { ms + 999 })
}

/// Parses an RFC 3339 date-time (with `Z` or an offset) into milliseconds
/// since the Unix epoch. Times before 1970 are refused.
pub fn parse_datetime(s: &str) -> Result<u64, TypesError> {
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|e| {
        TypesError::Invalid(format!(
            "expected an RFC 3339 date-time such as 2026-01-31T12:00:00Z: {s:?} ({e})"
        ))
    })?;
    let ms = t.unix_timestamp_nanos() / 1_000_000;
    u64::try_from(ms).map_err(|_| TypesError::Invalid(format!("{s:?} is before 1970")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_whole_seconds() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_datetime("2023-01-01T00:00:00Z").unwrap(),
            1_672_531_200_000
        );
        assert_eq!(format_ms(1_672_531_200_999), "2023-01-01T00:00:00Z");
        assert_eq!(
            parse_datetime("2023-01-01T01:00:00+01:00").unwrap(),
            1_672_531_200_000
        );
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_datetime("1969-12-31T23:59:59Z").is_err());
        assert_eq!(
            format_ms_exact(1_672_531_200_250),
            "2023-01-01T00:00:00.250Z"
        );
        assert_eq!(
            parse_version_time("2023-01-01T00:00:00.250Z").unwrap(),
            1_672_531_200_250
        );
        assert_eq!(
            parse_version_time("2023-01-01T00:00:00Z").unwrap(),
            1_672_531_200_999
        );
    }
}
