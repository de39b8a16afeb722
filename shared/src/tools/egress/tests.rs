use std::net::IpAddr;

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn internal_addresses_are_refused_and_named() {
    let egress = Egress::default();
    for (addr, kind) in [
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local, the cloud's metadata address among them"),
        ("100.100.100.200", "shared address space (CGNAT)"),
        ("100.64.0.1", "shared address space (CGNAT)"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fd00::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local, the cloud's metadata address among them"),
    ] {
        let refused = egress.check("h", ip(addr)).expect_err(addr);
        assert_eq!(refused.kind, kind, "{addr}");
        let said = refused.to_string();
        assert!(said.starts_with("source_not_allowed: h is at "), "{said}");
    }
}

#[test]
fn addresses_on_the_internet_pass() {
    let egress = Egress::default();
    for addr in ["8.8.8.8", "100.63.255.255", "100.128.0.1", "172.32.0.1", "2001:4860:4860::8888", "47.96.0.1"] {
        assert_eq!(egress.check("h", ip(addr)), Ok(()), "{addr}");
    }
}

#[test]
fn an_allowed_network_opens_only_itself() {
    let egress = Egress::allowing(vec!["127.0.0.1/32".parse().unwrap(), "10.8.0.0/16".parse().unwrap()]);
    assert_eq!(egress.check("h", ip("127.0.0.1")), Ok(()));
    assert_eq!(egress.check("h", ip("::ffff:127.0.0.1")), Ok(()));
    assert_eq!(egress.check("h", ip("10.8.3.4")), Ok(()));
    assert!(egress.check("h", ip("127.0.0.2")).is_err());
    assert!(egress.check("h", ip("10.9.0.1")).is_err());
    assert!(egress.check("h", ip("::1")).is_err());
}

#[test]
fn a_url_naming_an_address_is_checked_and_a_name_left_to_the_resolver() {
    let egress = Egress::default();
    let url = |text: &str| url::Url::parse(text).unwrap();
    let refused = egress.check_url(&url("http://169.254.169.254/latest/meta-data/")).unwrap_err();
    assert_eq!(refused.host, "169.254.169.254");
    assert!(egress.check_url(&url("http://[::1]:8080/a.flv")).is_err());
    assert_eq!(egress.check_url(&url("https://cdn.example.com/a.flv")), Ok(()));
}
