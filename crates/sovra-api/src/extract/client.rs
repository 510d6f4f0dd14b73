//! Who is asking: the client address of a request, and the key under which
//! per-client quotas count it.
//!
//! The server ([`crate::server`]) puts the peer address of each connection
//! into its requests as axum's [`ConnectInfo`]. Quotas count an IPv4 address
//! as one client and an IPv6 address by its /64 prefix (the block one
//! subscriber usually holds), so one host cannot multiply itself by picking
//! addresses in its own subnet. Requests that arrive without an address
//! (tests driving the router directly) all count as one unknown client.
//! Forwarding headers (`X-Forwarded-For`) are not trusted.

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use std::{
    convert::Infallible,
    net::{IpAddr, SocketAddr},
};

/// The key under which per-client quotas count a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientKey {
    /// An IPv4 address (also written IPv4-mapped in IPv6).
    V4(u32),
    /// The /64 prefix of an IPv6 address.
    V6Prefix(u64),
    /// A request without a known address.
    Unknown,
}

impl ClientKey {
    /// The key of an address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(u32::from(v4)),
                None => ClientKey::V6Prefix((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientKey::V4(a) => write!(f, "{}", std::net::Ipv4Addr::from(*a)),
            ClientKey::V6Prefix(p) => {
                write!(f, "{}/64", std::net::Ipv6Addr::from((*p as u128) << 64))
            }
            ClientKey::Unknown => f.write_str("unknown"),
        }
    }
}

/// The client of a request (extractor; never fails).
#[derive(Clone, Copy, Debug)]
pub struct Client(pub ClientKey);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Client(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(ClientKey::Unknown, |c| ClientKey::of(c.0.ip())),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64_prefix_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientKey::of(a), ClientKey::of(b));
        assert_ne!(ClientKey::of(a), ClientKey::of(c));
        assert_eq!(ClientKey::of(a).to_string(), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:127.0.0.2".parse().unwrap();
        let v4: IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(ClientKey::of(mapped), ClientKey::of(v4));
        assert_ne!(
            ClientKey::of(v4),
            ClientKey::of("127.0.0.1".parse().unwrap())
        );
    }
}
