//! Where a request comes from: the client's address behind trusted proxies, and whether a
//! state-changing request was sent by a page of another site.

use axum::http::{HeaderMap, header};
use serde::Deserialize;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An address block such as `10.0.0.0/8` or `::1` (a single address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// Loopback, the default list of trusted proxies.
    pub fn loopback() -> Vec<IpNet> {
        vec![
            IpNet {
                addr: IpAddr::from([127, 0, 0, 0]),
                prefix: 8,
            },
            IpNet {
                addr: IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
                prefix: 128,
            },
        ]
    }

    /// A comma-separated list, as in `ANZE_TRUSTED_PROXIES`.
    pub fn parse_list(s: &str) -> Result<Vec<IpNet>, String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not an IP address or CIDR block");
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr = IpAddr::from_str(addr).map_err(|_| bad())?.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(IpNet { addr, prefix })
    }
}

impl TryFrom<String> for IpNet {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The client's address. `X-Forwarded-For` is read only when the direct peer is a trusted
/// proxy, and then from the right: each proxy appends the address it received the request
/// from, so the rightmost entry that is not a trusted proxy is the client. Whatever lies left
/// of it was written by the client and proves nothing.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    let mut client = peer.to_canonical();
    let Some(forwarded) = forwarded_for else {
        return client;
    };
    if !is_trusted(client) {
        return client;
    }
    for entry in forwarded.rsplit(',') {
        // A garbled entry ends the chain: the last proxy that wrote a readable one is all
        // that is known.
        let Ok(ip) = entry.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(client) {
            break;
        }
    }
    client
}

/// `scheme://host[:port]` with the port made explicit, for comparing origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of a URL such as `https://anze.example.com/` (path ignored).
    pub fn parse(url: &str) -> Option<Origin> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let authority = rest.split(['/', '?', '#']).next()?;
        let authority = authority.rsplit('@').next()?;
        let default = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let (host, port) = split_host_port(authority, default)?;
        Some(Origin { scheme, host, port })
    }
}

/// `host[:port]` (IPv6 in brackets) into a lowercase host and a port.
fn split_host_port(authority: &str, default_port: u16) -> Option<(String, u16)> {
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => {
            (&authority[..i], Some(authority[i + 1..].parse().ok()?))
        }
        _ => (authority, None),
    };
    if host.is_empty() {
        return None;
    }
    Some((host.to_ascii_lowercase(), port.unwrap_or(default_port)))
}

/// Whether a state-changing request was sent by another site: `Sec-Fetch-Site` says so, or
/// `Origin` names another origin than this one (the public URL's when configured, else the
/// request's `Host`). `Origin: null` (sandboxed frames, some redirects) counts as another site;
/// a request with neither header (old clients, scripts) is left to the CSRF token.
pub fn is_cross_site(headers: &HeaderMap, public: Option<&Origin>) -> bool {
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site"))
        && !matches!(site.trim(), "same-origin" | "none")
    {
        return true;
    }
    let Some(origin) = text(header::ORIGIN) else {
        return false;
    };
    let Some(origin) = Origin::parse(origin.trim()) else {
        return true;
    };
    match public {
        Some(public) => origin != *public,
        None => {
            let Some(host) = text(header::HOST) else {
                return true;
            };
            split_host_port(host.trim(), if origin.scheme == "https" { 443 } else { 80 })
                .is_none_or(|(host, port)| host != origin.host || port != origin.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_blocks_parse_and_match() {
        let net: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped peers");
        let one: IpNet = "::1".parse().unwrap();
        assert!(one.contains(ip("::1")) && !one.contains(ip("::2")));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")) && !all.contains(ip("::1")));
        let v6: IpNet = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "example.com",
            "10.0.0.0/",
            "1.2.3/8",
        ] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
        assert_eq!(
            IpNet::parse_list(" 10.0.0.0/8, ::1 ,").unwrap(),
            vec![
                "10.0.0.0/8".parse().unwrap(),
                "::1/128".parse::<IpNet>().unwrap()
            ]
        );
    }

    #[test]
    fn the_rightmost_untrusted_forwarded_address_is_the_client() {
        let trusted = [
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        let proxy = ip("127.0.0.1");
        // The client wrote 1.1.1.1 itself; the proxy appended the address it saw.
        assert_eq!(
            client_ip(proxy, Some("1.1.1.1, 203.0.113.7"), &trusted),
            ip("203.0.113.7")
        );
        // Through two proxies of ours.
        assert_eq!(
            client_ip(proxy, Some("203.0.113.7, 10.0.0.5"), &trusted),
            ip("203.0.113.7")
        );
        // A peer that is not a proxy of ours cannot speak for anyone.
        assert_eq!(
            client_ip(ip("198.51.100.1"), Some("1.1.1.1"), &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
        assert_eq!(
            client_ip(proxy, Some("junk, 10.0.0.5"), &trusted),
            ip("10.0.0.5")
        );
        assert_eq!(client_ip(proxy, Some("1.1.1.1"), &[]), proxy);
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cross_site_requests_are_recognized() {
        let host = ("host", "anze.example:8080");
        let same = [
            vec![host],
            vec![host, ("origin", "http://anze.example:8080")],
            vec![
                host,
                ("origin", "http://ANZE.example:8080"),
                ("sec-fetch-site", "same-origin"),
            ],
            vec![host, ("sec-fetch-site", "none")],
            vec![("host", "anze.example"), ("origin", "http://anze.example")],
            vec![
                ("host", "anze.example"),
                ("origin", "https://anze.example:443"),
            ],
            vec![("host", "[::1]:8080"), ("origin", "http://[::1]:8080")],
        ];
        for h in same {
            assert!(!is_cross_site(&headers(&h), None), "{h:?}");
        }
        let cross = [
            vec![host, ("origin", "http://evil.example:8080")],
            vec![host, ("origin", "http://anze.example:8081")],
            vec![host, ("origin", "http://anze.example")],
            vec![host, ("origin", "null")],
            vec![host, ("sec-fetch-site", "cross-site")],
            vec![host, ("sec-fetch-site", "same-site")],
            vec![
                host,
                ("origin", "http://anze.example:8080"),
                ("sec-fetch-site", "cross-site"),
            ],
            vec![("origin", "http://anze.example:8080")],
        ];
        for h in cross {
            assert!(is_cross_site(&headers(&h), None), "{h:?}");
        }
        let public = Origin::parse("https://anze.example/").unwrap();
        assert!(!is_cross_site(
            &headers(&[
                ("host", "10.0.0.2:8080"),
                ("origin", "https://anze.example")
            ]),
            Some(&public)
        ));
        assert!(is_cross_site(
            &headers(&[
                ("host", "10.0.0.2:8080"),
                ("origin", "http://10.0.0.2:8080")
            ]),
            Some(&public)
        ));
    }
}
