//! IP address functions: validity, subnets, ranges (private, reserved, public), IPv4 as a number.

use std::net::{IpAddr, Ipv4Addr};

use super::{Out, Val, text};

fn ip(args: &[Val], i: usize) -> Option<IpAddr> {
    text(args, i).and_then(|s| s.trim().parse::<IpAddr>().ok())
}

fn cidr(s: &str) -> Option<(IpAddr, u32)> {
    let (addr, bits) = s.trim().split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let bits: u32 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

/// Whether `ip` lies inside the `net`/`bits` range (same family only).
pub fn in_subnet(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Parses `a.b.c.d/n` or `v6::/n`.
pub fn parse_cidr(s: &str) -> Option<(IpAddr, u32)> {
    cidr(s)
}

/// `isValidIp(s)`.
pub fn is_valid_ip(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some())
}

/// `isValidIpV4(s)`.
pub fn is_valid_ipv4(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some_and(|a| a.is_ipv4()))
}

/// `isValidIpV6(s)`.
pub fn is_valid_ipv6(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some_and(|a| a.is_ipv6()))
}

fn subnet_test(args: &[Val], family: Option<bool>) -> Out {
    let (Some(a), Some((net, bits))) = (ip(args, 0), text(args, 1).and_then(|s| cidr(&s))) else {
        return Out::Bool(false);
    };
    if let Some(v4) = family
        && (a.is_ipv4() != v4 || net.is_ipv4() != v4)
    {
        return Out::Bool(false);
    }
    Out::Bool(in_subnet(a, net, bits))
}

/// `isIpInSubnet(ip, cidr)`.
pub fn is_ip_in_subnet(args: &[Val]) -> Out {
    subnet_test(args, None)
}

/// `isIpv4InSubnet(ip, cidr)`.
pub fn is_ipv4_in_subnet(args: &[Val]) -> Out {
    subnet_test(args, Some(true))
}

/// `isIpv6InSubnet(ip, cidr)`.
pub fn is_ipv6_in_subnet(args: &[Val]) -> Out {
    subnet_test(args, Some(false))
}

/// `ipv4ToNumber(s)`.
pub fn ipv4_to_number(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| s.trim().parse::<Ipv4Addr>().ok())
        .map(|a| u32::from(a) as f64)
        .into()
}

const PRIVATE_RANGES: &[&str] = &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

/// IANA special-purpose ranges (IPv4 and IPv6 registries), which are not publicly routable.
const RESERVED_RANGES: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "64:ff9b::/96",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
];

fn in_ranges(a: IpAddr, ranges: &[&str]) -> bool {
    ranges
        .iter()
        .filter_map(|r| cidr(r))
        .any(|(net, bits)| in_subnet(a, net, bits))
}

/// `isPrivateIP(s)`: RFC 1918 (and IPv6 unique local `fc00::/7`).
pub fn is_private_ip(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some_and(|a| in_ranges(a, PRIVATE_RANGES)))
}

/// `isReservedIP(s)`: inside an IANA special-purpose range.
pub fn is_reserved_ip(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some_and(|a| in_ranges(a, RESERVED_RANGES)))
}

/// `isPublicIP(s)`: a valid address outside every special-purpose range.
pub fn is_public_ip(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some_and(|a| !in_ranges(a, RESERVED_RANGES)))
}
