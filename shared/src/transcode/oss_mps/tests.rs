//! The signature against known answers, percent-encoding, OSS URLs, error classes, redaction.

use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

use super::*;
use crate::domain::Retryable;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// Aliyun's documented example (签名机制, "DescribeRegions, AccessKeyId testid, AccessKey
/// secret testsecret"): the StringToSign and `CT9X0VtwR86fNWSnsc6v8YGOjuE=` as published.
/// That page spells the parameter `TimeStamp`.
#[test]
fn oss_mps_signature_matches_aliyuns_documented_example() {
    let params = map(&[
        ("TimeStamp", "2016-02-23T12:46:24Z"),
        ("Format", "XML"),
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("Version", "2014-05-26"),
        ("SignatureVersion", "1.0"),
    ]);
    assert_eq!(
        string_to_sign("GET", &params),
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
         %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
         %26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z\
         %26Version%3D2014-05-26"
    );
    assert_eq!(sign("GET", &params, "testsecret"), "CT9X0VtwR86fNWSnsc6v8YGOjuE=");

    // The same request with today's spelling `Timestamp` (and a `Signature` entry, which is
    // never signed); the value was computed independently with Python's hmac/hashlib/base64.
    let mut params: BTreeMap<_, _> =
        params.into_iter().map(|(k, v)| (if k == "TimeStamp" { "Timestamp".to_owned() } else { k }, v)).collect();
    params.insert("Signature".to_owned(), "ignored".to_owned());
    assert_eq!(sign("GET", &params, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

fn config() -> MpsConfig {
    MpsConfig {
        endpoint: "https://mts.cn-hangzhou.aliyuncs.com".to_owned(),
        region: "cn-hangzhou".to_owned(),
        pipeline_id: "pipeline-1".to_owned(),
        template_id: "S00000001-200010".to_owned(),
        output_bucket: "vt-out".to_owned(),
        output_location: "oss-cn-hangzhou".to_owned(),
        access_key_id: "testid".to_owned(),
        access_key_secret: "testsecret".to_owned(),
    }
}

/// A whole `SubmitJobs` request as the client builds it, at a fixed time and nonce; the
/// expected signature was computed independently with Python (urllib.parse.quote(safe='~'),
/// hmac, hashlib.sha1, base64) from the same parameters.
#[test]
fn oss_mps_submit_request_is_signed_as_python_signs_it() {
    let client = MpsClient::new(local_client(), config());
    let source = parse_oss_url("https://vt-src.oss-cn-hangzhou.aliyuncs.com/lessons/6666%20a+b.flv").expect("on OSS");
    let params = wire::submit_params(&client.config, &source, "lessons/6666_240P.flv", 240);
    let timestamp = SystemTime::UNIX_EPOCH + Duration::from_secs(1_456_231_584);
    let signed = client.signed_params("SubmitJobs", params, timestamp, "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf");
    assert_eq!(signed["Timestamp"], "2016-02-23T12:46:24Z");
    assert_eq!(
        signed["Input"],
        r#"{"Bucket":"vt-src","Location":"oss-cn-hangzhou","Object":"lessons/6666%20a%2Bb.flv"}"#
    );
    assert_eq!(
        signed["Outputs"],
        r#"[{"OutputObject":"lessons/6666_240P.flv","TemplateId":"S00000001-200010","Video":{"Height":"240"}}]"#
    );
    assert_eq!(signed["Signature"], "DWBUvSn7Kh1TjObaVkSWUkS/GNQ=");
    assert!(!signed.values().any(|v| v.contains("testsecret")));
}

#[test]
fn oss_mps_percent_encoding_follows_rfc_3986() {
    assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
    assert_eq!(percent_encode("a*b"), "a%2Ab");
    assert_eq!(percent_encode("a~b"), "a~b");
    assert_eq!(percent_encode("a b"), "a%20b");
    assert_eq!(percent_encode("a/b"), "a%2Fb");
    assert_eq!(percent_encode("a+b=c&d"), "a%2Bb%3Dc%26d");
    assert_eq!(percent_encode("é"), "%C3%A9");
    assert_eq!(percent_encode("中文"), "%E4%B8%AD%E6%96%87");
    assert_eq!(percent_encode("%7E"), "%257E");
    assert_eq!(percent_encode(""), "");
    // A UTF-8 secret is used as its bytes (Python: hmac.new("秘密&".encode(), …)).
    assert_eq!(sign("GET", &map(&[("A", "1")]), "秘密"), "as+4ufREFi/jqFZGFGwJj3DPt78=");
    // Keys are sorted by bytes: upper case before lower case.
    assert_eq!(canonicalized_query(&map(&[("b", "1"), ("B", "2"), ("a b", "*")])), "B=2&a%20b=%2A&b=1");
}

#[test]
fn oss_mps_object_keys_are_url_encoded_with_slashes_kept() {
    assert_eq!(encode_object_key("阿里云/mts HD+.mp4"), "%E9%98%BF%E9%87%8C%E4%BA%91/mts%20HD%2B.mp4");
    assert_eq!(percent_decode("%E9%98%BF/mts%20HD%2B.mp4+").as_deref(), Some("阿/mts HD+.mp4+"));
    assert_eq!(percent_decode("bad%2"), None);
    assert_eq!(percent_decode("bad%zz"), None);
    assert_eq!(percent_decode("%FF"), None);
}

#[test]
fn oss_mps_source_urls_on_oss_give_their_coordinates() {
    let parsed =
        parse_oss_url("https://vt-src.oss-cn-hangzhou.aliyuncs.com/22/6666/a%20b%E4%B8%AD.flv?Expires=1&Signature=x")
            .expect("on OSS");
    assert_eq!(
        parsed,
        OssObject {
            bucket: "vt-src".to_owned(),
            location: "oss-cn-hangzhou".to_owned(),
            object: "22/6666/a b中.flv".to_owned(),
        }
    );
    assert_eq!(parsed.url(), "https://vt-src.oss-cn-hangzhou.aliyuncs.com/22/6666/a%20b%E4%B8%AD.flv");
    let internal = parse_oss_url("http://b1.oss-cn-beijing-internal.aliyuncs.com/x.flv").expect("on OSS");
    assert_eq!((internal.bucket.as_str(), internal.location.as_str()), ("b1", "oss-cn-beijing"));
    assert_eq!(internal.object, "x.flv");
}

#[test]
fn oss_mps_source_urls_not_on_oss_are_refused() {
    for url in [
        "https://example.com/video.flv",
        "https://cdn.example.com/b.oss-cn-hangzhou.aliyuncs.com/x.flv",
        "https://oss-cn-hangzhou.aliyuncs.com/bucket/x.flv",
        "https://b.mts.cn-hangzhou.aliyuncs.com/x.flv",
        "https://b.oss-accelerate.aliyuncs.com/x.flv",
        "https://b.oss-cn-hangzhou.aliyuncs.com/",
        "ftp://b.oss-cn-hangzhou.aliyuncs.com/x.flv",
        "not a url",
    ] {
        let err = parse_oss_url(url).expect_err(url);
        assert!(matches!(err, MpsError::NotOnOss(_)), "{url}: {err:?}");
        assert!(!err.is_retryable(), "{url}");
    }
}

#[test]
fn oss_mps_errors_are_retryable_only_when_transient() {
    let api = |status, body: &str| wire::api_error(status, body);
    let throttled = api(400, r#"{"Code":"Throttling.User","Message":"slow down","RequestId":"r"}"#);
    assert!(throttled.is_retryable(), "{throttled:?}");
    assert!(api(503, r#"{"Code":"ServiceUnavailable","Message":"m"}"#).is_retryable());
    assert!(api(500, "<html>bad gateway</html>").is_retryable());
    assert!(api(429, "").is_retryable());
    for code in ["SignatureDoesNotMatch", "InvalidParameter", "Forbidden.RAM", "InvalidAccessKeyId.NotFound"] {
        let body = format!(r#"{{"Code":"{code}","Message":"m","RequestId":"r"}}"#);
        let err = api(400, &body);
        assert_eq!(err, MpsError::Api { code: code.to_owned(), message: "m".to_owned(), retryable: false });
    }
    assert!(MpsError::Network("reset".to_owned()).is_retryable());
    assert!(!MpsError::BadResponse("?".to_owned()).is_retryable());
}

#[test]
fn oss_mps_config_debug_hides_the_secret() {
    let shown = format!("{:?} {:?}", config(), MpsClient::new(local_client(), config()));
    assert!(!shown.contains("testsecret"), "{shown}");
    assert!(shown.contains("testid") && shown.contains("<redacted>"), "{shown}");
}

/// A client that may reach the stand-in on loopback (and nothing else internal).
fn local_client() -> crate::tools::http::SourceClient {
    crate::tools::http::SourceClient::new(crate::tools::egress::Egress::local_lessons()).expect("a client")
}
