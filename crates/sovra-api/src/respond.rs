//! Answers several areas build the same way.

use axum::{
    http::header,
    response::{IntoResponse, Response},
};

/// Private bytes (a keys, grant, shares or approval block): `application/octet-stream`, never
/// cached.
pub(crate) fn octets(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response()
}
