//! Storage URLs, credentials, keys and public URLs.

use super::tests::fs_storage;
use super::*;

fn open_err(url: &str) -> StorageError {
    Storage::open(StorageConfig { url, ..Default::default() }).expect_err(url)
}

#[test]
fn bad_urls_name_the_problem() {
    let cases = [
        ("ftp://x", "scheme \"ftp\""),
        ("./storage", "no scheme"),
        ("s3://", "missing bucket"),
        ("s3://?endpoint=http://127.0.0.1:9000", "missing bucket"),
        ("fs://", "needs a directory"),
        ("oss://b", "missing endpoint"),
        ("s3://b?endpoint=ftp://h", "not an http(s) URL"),
        ("s3://b?regoin=x", "unknown parameter \"regoin\""),
        ("s3://b:9000", "has a port"),
        ("s3://b?virtual_host_style=maybe", "true or false"),
    ];
    for (url, want) in cases {
        let err = open_err(url);
        assert!(matches!(err, StorageError::BadUrl(_)), "{url}: {err:?}");
        assert!(err.to_string().contains(want), "{url}: {err}");
    }
    let err = open_err("s3://key:hunter2@bucket");
    assert!(err.to_string().contains("credentials do not belong in the URL"), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");

    let half = StorageConfig { url: "s3://b", access_key_id: Some("AKID"), ..Default::default() };
    assert!(matches!(Storage::open(half), Err(StorageError::BadCredentials(_))));
    let keyed = StorageConfig { secret_access_key: Some("hunter2"), ..half };
    assert!(!format!("{keyed:?}").contains("hunter2"));
    let public = StorageConfig { public_url: Some("ftp://cdn"), ..Default::default() };
    assert!(matches!(Storage::open(StorageConfig { url: "s3://b", ..public }), Err(StorageError::BadUrl(_))));
}

#[tokio::test]
async fn bad_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let storage = fs_storage(dir.path());
    // A name no filesystem takes (a segment over 255 bytes) or a key over S3's 1024 bytes is
    // the client's mistake too: schemathesis sent one and got a 502 from /storage.
    let (long_name, long_key) = ("é".repeat(128), vec!["a"; 513].join("/"));
    for key in ["", "/abs", "a//b", "a/", "../up", "a/./b", ".uploading/x", "a\nb", &long_name, &long_key] {
        let err = storage.stat(key).await.unwrap_err();
        assert!(matches!(err, StorageError::BadKey { .. }), "{key:?}: {err}");
    }
}

#[test]
fn public_url_joins_and_encodes() {
    let open = |public: Option<&str>| {
        let config =
            StorageConfig { url: "s3://b?endpoint=http://127.0.0.1:1", public_url: public, ..Default::default() };
        Storage::open(config).unwrap()
    };
    let key = "org 22/6666/6666_720P.flv";
    let want = "https://cdn.example/media/org%2022/6666/6666_720P.flv";
    assert_eq!(open(Some("https://cdn.example/media/")).public_url(key).as_deref(), Some(want));
    assert_eq!(open(Some("https://cdn.example/media")).public_url(key).as_deref(), Some(want));
    let root = open(Some("https://cdn.example"));
    assert_eq!(root.public_url("a b?#%.flv").as_deref(), Some("https://cdn.example/a%20b%3F%23%25.flv"));
    assert_eq!(open(None).public_url(key), None);
}
