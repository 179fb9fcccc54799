//! Where a webhook may be sent: `https` to a public address, unless `WEBHOOK_ALLOW_PRIVATE`
//! (tests, private deployments) also allows plain `http` and loopback, private and link-local
//! addresses. Checked when an endpoint is registered, and at every delivery on the very
//! addresses the connection goes to ([`PublicOnly`]): a name that resolved to a public address
//! at registration and resolves inside later (DNS rebinding) is refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Whether an address is one a server on the internet would never be asked to reach.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => internal_v4(v4),
            None => internal_v6(v6),
        },
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        || a == 0
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7 and link-local fe80::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// The webhook client's resolver: the system's lookup, then a refusal when any address found is
/// internal. The client connects to the addresses returned here and nowhere else, so the check
/// and the connection cannot see two different answers.
#[derive(Debug, Default)]
pub struct PublicOnly;

impl Resolver for PublicOnly {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addrs = DefaultResolver::default().resolve(uri, config, timeout)?;
        match addrs.iter().find(|a| is_internal(a.ip())) {
            Some(a) => Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("resolves to {}, a loopback, private or link-local address", a.ip()),
            ))),
            None => Ok(addrs),
        }
    }
}

/// The parts of a URL checked without a lookup: the scheme (https unless `allow_private`) and
/// no credentials.
pub fn check_form(url: &str, allow_private: bool) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|_| "is not a URL".to_owned())?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("must be https".into()),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry credentials".into());
    }
    Ok(())
}

/// Checks a webhook URL, its name looked up; the error says why it is refused.
pub fn check(url: &str, allow_private: bool) -> Result<(), String> {
    check_form(url, allow_private)?;
    let parsed = url::Url::parse(url).map_err(|_| "is not a URL".to_owned())?;
    let host = parsed.host_str().ok_or("has no host")?;
    let port = parsed.port_or_known_default().ok_or("has no port")?;
    if allow_private {
        return Ok(());
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<IpAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| format!("host {host:?} does not resolve"))?
        .map(|a| a.ip())
        .collect();
    if addrs.is_empty() {
        return Err(format!("host {host:?} does not resolve"));
    }
    if let Some(ip) = addrs.iter().find(|ip| is_internal(**ip)) {
        return Err(format!(
            "resolves to {ip}, a loopback, private or link-local address (set WEBHOOK_ALLOW_PRIVATE=true to allow)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_without_the_flag() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "100.128.0.1",
            "172.32.0.1",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
        assert!(
            check("https://127.0.0.1/hook", false)
                .unwrap_err()
                .contains("WEBHOOK_ALLOW_PRIVATE")
        );
        assert!(check("https://localhost:8443/hook", false).is_err());
        assert!(check("https://[::1]/hook", false).is_err());
        assert!(check("https://169.254.169.254/latest", false).is_err());
        assert_eq!(check("http://93.184.216.34/hook", false).unwrap_err(), "must be https");
        assert_eq!(check("ftp://x.example/", true).unwrap_err(), "must be https");
        assert!(check("https://user:pw@93.184.216.34/", false).is_err());
        // An address literal that is public passes without any lookup.
        assert_eq!(check("https://93.184.216.34/hook", false), Ok(()));
        // The flag allows plain http to loopback (tests, private deployments).
        assert_eq!(check("http://127.0.0.1:9/hook", true), Ok(()));
    }
}
