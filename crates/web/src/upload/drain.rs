//! Answers to bodies nobody read. A refused upload (another party's order, a stale CSRF token,
//! a file over the limit) is answered before its body has arrived; hyper then closes the
//! connection with the rest of the body unread, the kernel resets it, and the browser shows "连接
//! 被重置" instead of the 403 page — or the answer arrives, depending on timing. So a request
//! body dropped before its end is read to the end in the background and thrown away, up to a
//! bound, and the connection stays open until the answer has been delivered.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};

/// Bytes read and discarded after a handler has answered. Larger bodies (a 1 GiB file refused
/// by size) are cut off: the client's retry costs less than reading them.
const DRAIN_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// A client that stops sending does not hold a task longer than this.
const DRAIN_MAX_TIME: Duration = Duration::from_secs(30);

/// Outermost layer: wraps every request body that is not empty.
pub async fn layer(req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(DrainOnDrop {
        inner: Some(body),
        ended: false,
    });
    next.run(Request::from_parts(parts, body)).await
}

struct DrainOnDrop {
    inner: Option<Body>,
    ended: bool,
}

impl HttpBody for DrainOnDrop {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.ended = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for DrainOnDrop {
    fn drop(&mut self) {
        let Some(body) = self.inner.take() else {
            return;
        };
        if self.ended || body.is_end_stream() {
            return;
        }
        // Outside a runtime (a unit test dropping a request) there is no connection to keep.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = tokio::time::timeout(DRAIN_MAX_TIME, discard(body)).await;
            });
        }
    }
}

async fn discard(mut body: Body) {
    let mut read = 0u64;
    while let Some(Ok(frame)) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
    {
        read += frame.data_ref().map_or(0, |d| d.len() as u64);
        if read > DRAIN_MAX_BYTES {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn an_unread_body_is_read_to_its_end_after_the_drop() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        let stream = tokio_stream_from(rx);
        let body = DrainOnDrop {
            inner: Some(Body::from_stream(stream)),
            ended: false,
        };
        drop(body);
        // The sender can push the whole body: someone is still reading it.
        for _ in 0..10 {
            tx.send(Ok(Bytes::from_static(b"0123456789")))
                .await
                .unwrap();
        }
        drop(tx);
    }

    #[tokio::test]
    async fn a_read_body_is_passed_through() {
        let body = Body::new(DrainOnDrop {
            inner: Some(Body::from("名称=安全")),
            ended: false,
        });
        let bytes = axum::body::to_bytes(body, 1024).await.unwrap();
        assert_eq!(&bytes[..], "名称=安全".as_bytes());
    }

    fn tokio_stream_from(
        mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
    ) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
    }
}
