//! Chat Completions message content (a string or typed parts) → IR blocks, including image URL validation.

use super::wire::{RawImageUrl, RawPart, StrOr};
use crate::translate::ir::{Block, ErrorInfo, ImageSource};
use crate::translate::wire_checks::check_base64;

/// Which part types a message role may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Allow {
    /// Text only (system, developer and assistant messages).
    Text,
    /// Text and images (user and tool messages).
    TextAndImages,
}

/// Converts `content` (found at `path`, e.g. `messages[2].content`) into text and image blocks.
pub(super) fn content_blocks(
    content: StrOr<Vec<RawPart>>,
    path: &str,
    allow: Allow,
) -> Result<Vec<Block>, ErrorInfo> {
    let parts = match content {
        StrOr::Str(text) => return Ok(vec![Block::Text { text }]),
        StrOr::Other(parts) => parts,
    };
    parts
        .into_iter()
        .enumerate()
        .map(|(j, part)| part_block(part, &format!("{path}[{j}]"), allow))
        .collect()
}

fn part_block(part: RawPart, path: &str, allow: Allow) -> Result<Block, ErrorInfo> {
    match part.kind.as_str() {
        "text" => part
            .text
            .map(|text| Block::Text { text })
            .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.text"), "required")),
        // Assistant history may carry a refusal part; it is what the model said, so keep it as text.
        "refusal" => part
            .refusal
            .map(|text| Block::Text { text })
            .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.refusal"), "required")),
        "image_url" => {
            if allow == Allow::Text {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.type"),
                    "images are only supported in user and tool messages",
                ));
            }
            let source = match part.image_url {
                None => return Err(ErrorInfo::invalid(&format!("{path}.image_url"), "required")),
                // Some clients send the URL string directly instead of `{url}`.
                Some(StrOr::Str(url)) => image_source(&url, &format!("{path}.image_url"))?,
                Some(StrOr::Other(RawImageUrl { url })) => {
                    image_source(&url, &format!("{path}.image_url.url"))?
                }
            };
            Ok(Block::Image { source })
        }
        kind @ ("input_audio" | "file") => Err(ErrorInfo::invalid(
            &format!("{path}.type"),
            format!("{kind:?} content is not supported"),
        )),
        other => Err(ErrorInfo::invalid(
            &format!("{path}.type"),
            format!("unknown content part type {other:?}; expected \"text\" or \"image_url\""),
        )),
    }
}

/// Validates an image URL: a base64 `data:image/*` URL becomes inline data; an http(s) URL is
/// passed on for the upstream layer to fetch or reject.
pub(crate) fn image_source(url: &str, path: &str) -> Result<ImageSource, ErrorInfo> {
    if let Some(rest) = strip_prefix_ignore_case(url, "data:") {
        return data_url(rest, path);
    }
    let is_web = strip_prefix_ignore_case(url, "http://").is_some()
        || strip_prefix_ignore_case(url, "https://").is_some();
    if is_web {
        return match url::Url::parse(url) {
            Ok(parsed) if parsed.has_host() => Ok(ImageSource::Url {
                url: url.to_owned(),
            }),
            Ok(_) => Err(ErrorInfo::invalid(path, "the URL has no host")),
            Err(e) => Err(ErrorInfo::invalid(path, format!("invalid URL: {e}"))),
        };
    }
    Err(ErrorInfo::invalid(
        path,
        "must be an http(s) URL or a data:image/<type>;base64,<data> URL",
    ))
}

/// `rest` is a data URL after its `data:` prefix.
fn data_url(rest: &str, path: &str) -> Result<ImageSource, ErrorInfo> {
    let shape_error =
        || ErrorInfo::invalid(path, "data URLs must look like data:<mime>;base64,<data>");
    let (header, data) = rest.split_once(',').ok_or_else(shape_error)?;
    let mut params = header.split(';');
    let media_type = params
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !params.any(|p| p.trim().eq_ignore_ascii_case("base64")) {
        return Err(shape_error());
    }
    let is_image = media_type
        .strip_prefix("image/")
        .is_some_and(|sub| !sub.is_empty());
    if !is_image {
        return Err(ErrorInfo::invalid(
            path,
            format!("unsupported media type {media_type:?}; only image/* is accepted"),
        ));
    }
    // Wrapped base64 (line breaks every 76 characters) is common and still valid data.
    let data: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if data.is_empty() {
        return Err(ErrorInfo::invalid(path, "the image data is empty"));
    }
    check_base64(&data)
        .map_err(|e| ErrorInfo::invalid(path, format!("invalid base64 image data: {e}")))?;
    Ok(ImageSource::Base64 { media_type, data })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// The texts of a text-only message's blocks (other blocks cannot occur there).
pub(super) fn texts(blocks: Vec<Block>) -> impl Iterator<Item = String> {
    blocks.into_iter().filter_map(|block| match block {
        Block::Text { text } => Some(text),
        _ => None,
    })
}
