//! Which rendition an ecs transcode starts from (the original left this open): the smallest
//! rendition in `video_url_list` at or above the target, else the original `video_url`; only
//! when neither exists, the largest smaller rendition (said in the logs: it is an upscale).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{Resolution, SourceUrl};

/// What a transcode may be made from, as stored with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sources {
    pub video_url: Option<SourceUrl>,
    #[serde(default)]
    pub video_url_list: BTreeMap<Resolution, SourceUrl>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub url: SourceUrl,
    /// The rendition's resolution; `None` for the original `video_url`.
    pub from: Option<Resolution>,
    /// Only smaller renditions existed.
    pub upscale: bool,
}

pub fn choose(sources: &Sources, target: Resolution) -> Option<Choice> {
    let at_or_above = sources.video_url_list.range(target..).next();
    if let Some((&from, url)) = at_or_above {
        return Some(Choice { url: url.clone(), from: Some(from), upscale: false });
    }
    if let Some(url) = &sources.video_url {
        return Some(Choice { url: url.clone(), from: None, upscale: false });
    }
    let (&from, url) = sources.video_url_list.range(..target).next_back()?;
    Some(Choice { url: url.clone(), from: Some(from), upscale: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(original: bool, list: &[&str]) -> Sources {
        Sources {
            video_url: original.then(|| "http://h/original.flv".parse().unwrap()),
            video_url_list: list
                .iter()
                .map(|r| (r.parse().unwrap(), format!("http://h/{r}.flv").parse().unwrap()))
                .collect(),
        }
    }

    #[test]
    fn prefers_the_smallest_rendition_at_or_above_the_target() {
        let choice = choose(&sources(true, &["1080P", "720P", "240P"]), Resolution::P480).unwrap();
        assert_eq!(choice.from, Some(Resolution::P720));
        let exact = choose(&sources(true, &["480P", "720P"]), Resolution::P480).unwrap();
        assert_eq!(exact.from, Some(Resolution::P480));
    }

    #[test]
    fn falls_back_to_the_original_then_to_the_largest_smaller_rendition() {
        let original = choose(&sources(true, &["240P"]), Resolution::P720).unwrap();
        assert_eq!((original.from, original.upscale), (None, false));
        let smaller = choose(&sources(false, &["240P", "480P"]), Resolution::P720).unwrap();
        assert_eq!((smaller.from, smaller.upscale), (Some(Resolution::P480), true));
        assert_eq!(choose(&sources(false, &[]), Resolution::P720), None);
    }
}
