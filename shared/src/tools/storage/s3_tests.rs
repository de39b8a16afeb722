//! The S3 backend against a real S3-compatible server (moto), checked with aws-sdk-s3.

use super::tests::{BrokenReader, eventually, pattern, read_all};
use super::*;
use crate::domain::Retryable;
use testkit::moto::Moto;

const BUCKET: &str = "vteacher";

fn s3_storage(moto: &Moto) -> Storage {
    let url = moto.storage_url(BUCKET);
    let config = StorageConfig {
        url: &url,
        public_url: None,
        access_key_id: Some("testing"),
        secret_access_key: Some("testing"),
    };
    Storage::open(config).expect("open s3")
}

async fn get_object(client: &aws_sdk_s3::Client, key: &str) -> Vec<u8> {
    let out = client.get_object().bucket(BUCKET).key(key).send().await.expect("GetObject");
    out.body.collect().await.expect("GetObject body").into_bytes().to_vec()
}

async fn head_is_404(client: &aws_sdk_s3::Client, key: &str) -> bool {
    match client.head_object().bucket(BUCKET).key(key).send().await {
        Ok(_) => false,
        Err(e) => match e.raw_response() {
            Some(raw) if raw.status().as_u16() == 404 => true,
            _ => panic!("HeadObject {key}: {e:?}"),
        },
    }
}

async fn multipart_uploads(client: &aws_sdk_s3::Client) -> usize {
    let out = client.list_multipart_uploads().bucket(BUCKET).send().await.expect("ListMultipartUploads");
    out.uploads().len()
}

#[tokio::test]
async fn s3_upload_reads_back_identical_and_streams_ranges() {
    let moto = Moto::start().await;
    let client = moto.bucket(BUCKET).await;
    let storage = s3_storage(&moto);
    assert_eq!(storage.location(), "s3://vteacher");

    let dir = tempfile::tempdir().unwrap();
    let data = pattern(3 * 1024 * 1024 + 5, 7);
    let local = dir.path().join("6666_720P.flv");
    std::fs::write(&local, &data).unwrap();
    let key = "transcodes/22/6666/6666_720P.flv";
    assert_eq!(storage.stat(key).await.unwrap(), None);
    assert_eq!(storage.upload_file(key, &local).await.unwrap(), data.len() as u64);

    assert!(get_object(&client, key).await == data, "aws-sdk-s3 reads the same bytes");
    assert_eq!(storage.stat(key).await.unwrap(), Some(data.len() as u64));

    // Larger than one part (8 MiB): a multipart upload, completed on close.
    let big = pattern(17 * 1024 * 1024 + 3, 8);
    std::fs::write(&local, &big).unwrap();
    storage.upload_file("big.flv", &local).await.unwrap();
    assert!(get_object(&client, "big.flv").await == big);
    assert_eq!(multipart_uploads(&client).await, 0);

    let whole = read_all(&storage, key, None).await;
    assert!(whole == data);
    let ranged = storage.read_range(key, Some(ByteRange::Inclusive { first: 100, last: 199 })).await.unwrap();
    assert_eq!((ranged.total_len, ranged.range.clone()), (data.len() as u64, 100..200));
    let part = read_all(&storage, key, Some(ByteRange::Inclusive { first: 100, last: 199 })).await;
    assert!(part == data[100..200]);
    let tail = read_all(&storage, key, Some(ByteRange::Suffix(10))).await;
    assert!(tail == data[data.len() - 10..]);
    let err = storage.read_range("missing.flv", None).await.unwrap_err();
    assert!(matches!(err, StorageError::NotFound(_)), "{err}");

    // Without credentials, requests go unsigned: a private object is refused (403, not
    // retryable), a public-read one is served.
    let url = moto.storage_url(BUCKET);
    let anonymous = Storage::open(StorageConfig { url: &url, ..Default::default() }).unwrap();
    let err = anonymous.stat(key).await.unwrap_err();
    assert!(err.to_string().contains("PermissionDenied") && !err.is_retryable(), "{err}");
    client
        .put_object_acl()
        .bucket(BUCKET)
        .key(key)
        .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
        .send()
        .await
        .expect("PutObjectAcl");
    assert_eq!(anonymous.stat(key).await.unwrap(), Some(data.len() as u64));
    assert!(read_all(&anonymous, key, Some(ByteRange::From(7))).await == data[7..]);
}

#[tokio::test]
async fn s3_failed_or_dropped_upload_leaves_no_object() {
    let moto = Moto::start().await;
    let client = moto.bucket(BUCKET).await;
    let storage = s3_storage(&moto);
    let old = pattern(1000, 9);
    storage.upload_reader("kept.flv", &old[..]).await.unwrap();

    // The source fails after 20 MiB. OpenDAL keeps the first 8 MiB chunk back and starts the
    // multipart upload with the second, so by then a multipart upload is under way.
    for key in ["kept.flv", "new.flv"] {
        let err = storage.upload_reader(key, BrokenReader::failing(pattern(20 << 20, 1))).await.unwrap_err();
        assert!(err.to_string().contains("source went away"), "{err}");
        assert!(!err.is_retryable());
    }
    assert!(get_object(&client, "kept.flv").await == old, "the previous object stays");
    assert!(head_is_404(&client, "new.flv").await);
    assert_eq!(multipart_uploads(&client).await, 0, "the failed multipart upload is aborted");

    // The future is dropped while a multipart upload is under way.
    let (reader, stalled) = BrokenReader::stalling(pattern(20 << 20, 2));
    let mut upload = Box::pin(storage.upload_reader("dropped.flv", reader));
    tokio::select! {
        r = &mut upload => panic!("upload ended: {r:?}"),
        _ = stalled => {}
    }
    assert_eq!(multipart_uploads(&client).await, 1, "a multipart upload is under way");
    drop(upload);
    assert!(head_is_404(&client, "dropped.flv").await);
    eventually("the dropped multipart upload is aborted", async || multipart_uploads(&client).await == 0).await;
    assert!(head_is_404(&client, "dropped.flv").await);
    assert_eq!(storage.stat("dropped.flv").await.unwrap(), None);
}
