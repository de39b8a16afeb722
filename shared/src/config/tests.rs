use super::*;

#[test]
fn defaults_follow_the_design_table() {
    let settings = Settings::from_pairs::<&str, &str>([]).unwrap();
    assert_eq!(settings.database_url, "sqlite://vteacher.db?mode=rwc");
    assert_eq!(settings.download_rate.bytes_per_sec(), Some(1000 * 1024));
    assert_eq!(settings.job_attempts, 5);
    assert_eq!(settings.channel_result, "vteacher:result");
    assert!(settings.redis_url.is_none());
}

#[test]
fn keys_are_case_insensitive_and_the_legacy_wget_path_is_accepted() {
    let settings =
        Settings::from_pairs([("wget_path", "/usr/bin/wget"), ("Download_Rate", "300k"), ("API_TOKEN", "12345")])
            .unwrap();
    assert_eq!(settings.wget_path.as_deref(), Some("/usr/bin/wget"));
    assert_eq!(settings.download_rate.bytes_per_sec(), Some(300 * 1024));
    assert_eq!(settings.api_token.as_deref(), Some("12345"), "a numeric token stays text");
}

#[test]
fn a_bad_value_names_its_key() {
    for (key, value) in [
        ("DOWNLOAD_RATE", "fast"),
        ("MAX_VIDEO_NUM", "many"),
        ("PORT", "http"),
        ("NODE_ID", "../etc"),
        ("JOB_ATTEMPTS", "0"),
        ("OSS_PROVIDER", "azure"),
        ("REDIS_URL", "localhost:6379"),
        ("TRANSCODE_TIMEOUT_ECS", "soon"),
    ] {
        let err = Settings::from_pairs([(key, value)]).expect_err(key);
        assert_eq!(err.key, key, "{err}");
    }
}

/// On SQLite heartbeats stop while a worker drains (the last one up to a third of a lease
/// old), and other workers take its jobs once a whole lease has passed: the drain must end
/// within two thirds of it. On Redis every worker's lease renewer keeps renewing through the
/// drain: the lease bounds no drain.
#[test]
fn a_drain_is_bounded_by_the_lease_only_where_heartbeats_stop() {
    let err = Settings::from_pairs([("QUEUE_LEASE", "30s"), ("SHUTDOWN_TIMEOUT", "20s")]).unwrap_err();
    assert_eq!(err.key, "SHUTDOWN_TIMEOUT");
    assert!(err.problem.contains("REDIS_URL"), "{err}");
    assert!(Settings::from_pairs([("QUEUE_LEASE", "30s"), ("SHUTDOWN_TIMEOUT", "19s")]).is_ok());
    for drain in ["25s", "30s", "10m"] {
        let redis = [("REDIS_URL", "redis://127.0.0.1:6379"), ("QUEUE_LEASE", "30s"), ("SHUTDOWN_TIMEOUT", drain)];
        assert!(Settings::from_pairs(redis).is_ok(), "{drain} on Redis");
    }
}

#[test]
fn the_mps_provider_needs_all_of_its_keys() {
    let err = Settings::from_pairs([("OSS_PROVIDER", "mps"), ("MPS_ENDPOINT", "https://mts.example.com")]).unwrap_err();
    assert_eq!(err.key, "MPS_REGION");
}

#[test]
fn postgres_state_needs_redis_queues() {
    let err = Settings::from_pairs([("DATABASE_URL", "postgres://db/vteacher")]).unwrap_err();
    assert_eq!(err.key, "REDIS_URL");
}

#[test]
fn describe_masks_secrets_and_url_passwords() {
    let settings = Settings::from_pairs([
        ("API_TOKEN", "s3cr3t-token"),
        ("REDIS_URL", "redis://:hunter2@127.0.0.1:6379/0"),
        ("MPS_ACCESS_KEY_SECRET", "abcdef123456"),
    ])
    .unwrap();
    let text = format!("{:?}", settings.describe());
    for secret in ["s3cr3t-token", "hunter2", "abcdef123456"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(text.contains("127.0.0.1:6379"));
}

#[test]
fn later_layers_win_over_the_toml_file() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("vteacher.toml");
    std::fs::write(&toml, "MAX_VIDEO_NUM = 7\nport = 9000\n").unwrap();
    let dotenv = dir.path().join(".env");
    std::fs::write(&dotenv, "PORT=9100\n").unwrap();
    let figment = figment::Figment::from(Serialized::defaults(Settings::default()))
        .merge(Serialized::globals(toml_layer(&toml).unwrap()))
        .merge(Serialized::globals(dotenv_layer(&dotenv).unwrap()));
    let settings = Settings::extract(figment).unwrap();
    assert_eq!(settings.max_video_num, 7);
    assert_eq!(settings.port, 9100);
}

#[test]
fn a_cache_limit_of_zero_or_less_stops_start_up_naming_the_key() {
    for (key, value) in
        [("MAX_VIDEO_NUM", "0"), ("MAX_VIDEO_SIZE", "0"), ("MAX_VIDEO_SIZE", "-1"), ("MIN_FREE_DISK", "-2")]
    {
        let err = Settings::from_pairs([(key, value)]).unwrap_err();
        assert_eq!(err.key, key, "{err}");
    }
    for (key, value) in [("MAX_VIDEO_NUM", "-3"), ("CACHE_LOW_WATER", "0"), ("CACHE_LOW_WATER", "1.5")] {
        let err = Settings::from_pairs([(key, value)]).unwrap_err();
        assert_eq!(err.key, key, "{err}");
    }
    assert!(Settings::from_pairs([("MIN_FREE_DISK", "0")]).is_ok(), "no floor of free space is allowed");
}

#[test]
fn the_source_and_bridge_limits_have_serious_defaults_and_refuse_zero() {
    let settings = Settings::default();
    assert_eq!(settings.max_source_size.bytes(), 4 << 30);
    assert_eq!(settings.source_download_timeout.0, std::time::Duration::from_secs(30 * 60));
    assert_eq!(settings.max_source_duration.0, std::time::Duration::from_secs(4 * 3600));
    assert_eq!(settings.max_source_pixels.to_string(), "3840x2160");
    assert_eq!(settings.bridge_max_message, 64 * 1024);
    for (key, value) in [
        ("MAX_SOURCE_SIZE", "0"),
        ("MAX_SOURCE_SIZE", "big"),
        ("SOURCE_DOWNLOAD_TIMEOUT", "0s"),
        ("MAX_SOURCE_DURATION", "0s"),
        ("MAX_SOURCE_PIXELS", "4k"),
        ("MAX_SOURCE_PIXELS", "0x2160"),
        ("BRIDGE_MAX_MESSAGE", "100"),
    ] {
        let err = Settings::from_pairs([(key, value)]).unwrap_err();
        assert_eq!(err.key, key, "{key}={value}: {err}");
    }
    let small = [("MAX_SOURCE_SIZE", "0.5"), ("MAX_SOURCE_PIXELS", "1280x720"), ("BRIDGE_MAX_MESSAGE", "4096")];
    assert!(Settings::from_pairs(small).is_ok());
}
