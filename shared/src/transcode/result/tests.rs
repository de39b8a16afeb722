use super::*;
use crate::domain::{RecordId, Resolution};

fn model(state: TranscodeState, provider: Provider) -> transcodes::Model {
    transcodes::Model {
        record_id: 6666,
        resolution: "240P".into(),
        state,
        provider: Some(provider),
        source_url: None,
        url: None,
        reason: None,
        progress: None,
        deadline_at: Some(1_000),
        created_at: 0,
        sources: None,
        oss_job_id: None,
        updated_at: 0,
        retry: None,
    }
}

fn success(provider: Provider) -> TranscodeResult {
    let url = "http://h/6666_240P.flv".parse().unwrap();
    TranscodeResult::produced(
        RecordId::new(6666).unwrap(),
        Resolution::P240,
        provider,
        TranscodeOutcome::Succeeded { url },
    )
}

fn failure(provider: Provider) -> TranscodeResult {
    let outcome = TranscodeOutcome::Failed { reason: "boom".into() };
    TranscodeResult::produced(RecordId::new(6666).unwrap(), Resolution::P240, provider, outcome)
}

#[test]
fn a_result_for_no_transcode_is_unknown() {
    assert_eq!(on_result(None, &success(Provider::Oss)), Change::Unknown);
    assert_eq!(on_result(None, &failure(Provider::Ecs)), Change::Unknown);
}

#[test]
fn success_from_either_provider_succeeds_and_releases_waiters() {
    for provider in [Provider::Oss, Provider::Ecs] {
        let effect = on_result(Some(&model(TranscodeState::Transcoding, provider)), &success(provider));
        assert_eq!(effect, Change::Succeed { url: "http://h/6666_240P.flv".parse().unwrap(), late: false });
    }
}

#[test]
fn an_oss_failure_goes_on_to_ecs() {
    let effect = on_result(Some(&model(TranscodeState::Transcoding, Provider::Oss)), &failure(Provider::Oss));
    assert_eq!(effect, Change::ToEcs { reason: "boom".into() });
}

#[test]
fn an_ecs_failure_fails_the_transcode() {
    let effect = on_result(Some(&model(TranscodeState::Transcoding, Provider::Ecs)), &failure(Provider::Ecs));
    assert_eq!(effect, Change::Fail { reason: "boom".into() });
}

#[test]
fn duplicates_and_stale_results_change_nothing() {
    let succeeded = model(TranscodeState::Succeeded, Provider::Ecs);
    assert!(matches!(on_result(Some(&succeeded), &success(Provider::Ecs)), Change::Ignore { .. }));
    assert!(matches!(on_result(Some(&succeeded), &failure(Provider::Ecs)), Change::Ignore { .. }));
    let failed = model(TranscodeState::Failed, Provider::Ecs);
    assert!(matches!(on_result(Some(&failed), &failure(Provider::Ecs)), Change::Ignore { .. }));
    // The oss failure arriving after the transcode moved on to ecs.
    let with_ecs = model(TranscodeState::Transcoding, Provider::Ecs);
    assert!(matches!(on_result(Some(&with_ecs), &failure(Provider::Oss)), Change::Ignore { .. }));
}

#[test]
fn a_success_after_a_timeout_or_failure_is_still_recorded() {
    for state in [TranscodeState::TimedOut, TranscodeState::Failed] {
        let effect = on_result(Some(&model(state, Provider::Ecs)), &success(Provider::Ecs));
        assert_eq!(effect, Change::Succeed { url: "http://h/6666_240P.flv".parse().unwrap(), late: true });
    }
}

#[test]
fn a_passed_oss_deadline_goes_to_ecs_and_an_ecs_deadline_times_out() {
    assert!(matches!(
        on_deadline(&model(TranscodeState::Transcoding, Provider::Oss), 1_000),
        Some(Change::ToEcs { .. })
    ));
    assert!(matches!(
        on_deadline(&model(TranscodeState::Transcoding, Provider::Ecs), 1_001),
        Some(Change::TimeOut { .. })
    ));
    assert_eq!(on_deadline(&model(TranscodeState::Transcoding, Provider::Ecs), 999), None);
    assert_eq!(on_deadline(&model(TranscodeState::Failed, Provider::Ecs), 5_000), None);
}
