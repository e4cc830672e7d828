//! The rest of an upstream answer after its first event: decoded IR events, signatures
//! remembered as they pass, failures turned into one final in-band error. Dropping it drops the
//! upstream connection and frees the account slot.

use std::collections::VecDeque;
use std::pin::Pin;

use futures::{Stream, StreamExt as _};

use super::Core;
use super::execute::collect_chunk;
use crate::accounts::Slot;
use crate::capture::Collector;
use crate::translate::antigravity::{DecodeError, StreamDecoder};
use crate::translate::ir::{ErrorInfo, ErrorKind, StreamEvent};
use crate::upstream::UpstreamChunks;

pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, ErrorInfo>> + Send>>;

struct State {
    chunks: UpstreamChunks,
    decoder: StreamDecoder,
    core: Core,
    pending: VecDeque<StreamEvent>,
    done: bool,
    collector: Option<Collector>,
    _slot: Slot,
}

pub(super) fn continue_stream(
    chunks: UpstreamChunks,
    decoder: StreamDecoder,
    core: Core,
    slot: Slot,
    collector: Option<Collector>,
    finished: bool,
) -> EventStream {
    let state = State {
        chunks,
        decoder,
        core,
        pending: VecDeque::new(),
        done: finished,
        collector,
        _slot: slot,
    };
    Box::pin(futures::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(event) = s.pending.pop_front() {
                return Some((Ok(event), s));
            }
            if s.done {
                return None;
            }
            let outcome = match s.chunks.next().await {
                Some(Ok(value)) => {
                    collect_chunk(s.collector.as_mut(), &value);
                    s.decoder.push(&value)
                }
                Some(Err(e)) => {
                    s.done = true;
                    let err = ErrorInfo::new(503, ErrorKind::Overloaded, e.to_string());
                    return Some((Err(err), s));
                }
                None => {
                    s.done = true;
                    s.decoder.finish()
                }
            };
            s.core.remember_signatures(&mut s.decoder);
            match outcome {
                Ok(events) => s.pending.extend(events),
                Err(e) => {
                    s.done = true;
                    return Some((Err(mid_stream_error(&e)), s));
                }
            }
        }
    }))
}

fn mid_stream_error(e: &DecodeError) -> ErrorInfo {
    match e {
        DecodeError::EmptyStream => ErrorInfo::new(
            503,
            ErrorKind::Overloaded,
            "the upstream ended the answer early",
        ),
        DecodeError::VersionRejected { message } | DecodeError::ModelRetired { message } => {
            ErrorInfo::new(503, ErrorKind::Api, message.clone())
        }
        DecodeError::Malformed { message } => ErrorInfo::new(
            503,
            ErrorKind::Overloaded,
            format!("the upstream sent an unreadable event: {message}"),
        ),
    }
}
