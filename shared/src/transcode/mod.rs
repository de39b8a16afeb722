//! Transcoding providers: clients for the cloud services that transcode a source for us.

pub mod oss_mps;
