//! Bridges between async HTTP bodies and the blocking readers and writers of `sovra-cas`, so that
//! uploads and downloads stream in bounded memory instead of being buffered whole; and
//! `cat_body`, the streaming body of a UnixFS file.

use std::io::{self, Read, Write};
use std::sync::Arc;

use sovra_cas::{BlockSource, Cid, unixfs};

use axum::body::{Body, Bytes};
use futures::StreamExt;
use tokio::sync::mpsc;

/// Request bytes read and discarded after the reader stopped early (a refused upload), so a
/// client still sending can finish and read the refusal instead of a reset connection.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;
/// Chunks in flight between the async and the blocking side.
const CHANNEL_CHUNKS: usize = 8;
/// Bytes gathered before a chunk is sent to the client.
const CHUNK_BYTES: usize = 256 * 1024;

/// A blocking reader over a request body, fed by an async task. Use it inside `spawn_blocking`.
pub struct BodyReader {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
    current: Bytes,
}

impl BodyReader {
    /// Starts forwarding `body` and returns the reader.
    pub fn spawn(body: Body) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
        tokio::spawn(async move {
            let mut stream = body.into_data_stream();
            while let Some(chunk) = stream.next().await {
                let item = chunk.map_err(io::Error::other);
                let failed = item.is_err();
                if failed {
                    let _ = tx.send(item).await;
                    return;
                }
                if tx.send(item).await.is_err() {
                    break;
                }
            }
            // The reader stopped early: drain a bounded amount so the answer reaches the client.
            let mut drained = 0;
            while drained < DRAIN_BYTES {
                match stream.next().await {
                    Some(Ok(chunk)) => drained += chunk.len(),
                    _ => break,
                }
            }
        });
        Self {
            rx,
            current: Bytes::new(),
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// A blocking writer whose bytes become a streaming response body.
pub struct BodyWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
}

impl BodyWriter {
    /// A writer and the response body it feeds.
    pub fn new() -> (Self, Body) {
        let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL_CHUNKS);
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        (
            Self {
                tx,
                buffer: Vec::with_capacity(CHUNK_BYTES),
            },
            Body::from_stream(stream),
        )
    }

    /// Ends the body with an error: the connection is aborted (a chunked answer never gets its
    /// last chunk), so the client sees a failed transfer, not a complete short one.
    pub fn fail(mut self, error: impl std::error::Error + Send + Sync + 'static) {
        // Nothing is sent after the error (the drop below would flush the buffer).
        self.buffer.clear();
        let _ = self.tx.blocking_send(Err(io::Error::other(error)));
    }

    fn send_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for BodyWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send_buffer()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

impl Drop for BodyWriter {
    fn drop(&mut self) {
        let _ = self.send_buffer();
    }
}

/// A body streaming the bytes of the UnixFS file `cid`, read (and verified) block by block. If a
/// block cannot be read after the answer started, the body ends with an error (the connection
/// is aborted, so the client sees a failed transfer, never a short success).
pub(crate) fn cat_body<S: BlockSource + Send + Sync + 'static>(blocks: Arc<S>, cid: Cid) -> Body {
    let (mut writer, body) = BodyWriter::new();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = unixfs::cat(&*blocks, &cid, &mut writer) {
            tracing::warn!(%cid, "file stream stopped: {e}");
            writer.fail(e);
        }
    });
    body
}
