//! Body wrappers for the connection layer: a request body that gives up after the longest
//! allowed pause between its pieces, and a response body that keeps its request "in flight"
//! for as long as it is being sent.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use super::connections::InFlight;

/// The error a request body ends with when the client stops sending it.
#[derive(Debug, thiserror::Error)]
#[error("the client sent no request body bytes for {0:?}")]
pub struct BodyReadTimeout(Duration);

/// A request body whose every wait for the next piece is bounded; when one runs out it ends with
/// [`BodyReadTimeout`] and raises `timed_out`, which the connection layer turns into a 408.
pub struct ReadDeadline<B> {
    inner: B,
    pause: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    timed_out: Arc<AtomicBool>,
}

impl<B> ReadDeadline<B> {
    pub fn new(inner: B, pause: Duration, timed_out: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            pause,
            sleep: None,
            timed_out,
        }
    }
}

impl<B> http_body::Body for ReadDeadline<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            // The next wait starts afresh.
            this.sleep = None;
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let pause = this.pause;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + pause)));
        if sleep.as_mut().poll(cx).is_ready() {
            this.timed_out.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(Box::new(BodyReadTimeout(pause)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that holds its request's [`InFlight`] until it is sent or dropped.
pub struct Tracked {
    inner: Body,
    _in_flight: InFlight,
}

impl Tracked {
    pub fn new(inner: Body, in_flight: InFlight) -> Self {
        Self {
            inner,
            _in_flight: in_flight,
        }
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    #[tokio::test]
    async fn a_body_that_stops_short_times_out_and_says_so() {
        let piece = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"{\"a\""))]);
        let stalled =
            Body::from_stream(futures::StreamExt::chain(piece, futures::stream::pending()));
        let flag = Arc::new(AtomicBool::new(false));
        let mut body = ReadDeadline::new(stalled, Duration::from_millis(50), Arc::clone(&flag));
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), Bytes::from_static(b"{\"a\""));
        // Nothing more: the wait ends with the timeout error.
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(err.is::<BodyReadTimeout>(), "{err}");
        assert!(flag.load(Ordering::Acquire));
    }
}
