//! Public content from the client side: importing files and directories locally (so the CID is
//! computed on the user's machine), streaming the blocks to a node as a CAR, and reading content
//! back block by block, verifying every block against its CID, so a node cannot serve altered
//! data unnoticed.

use std::io::{Read, Write};
use std::path::Path;

use sovra_api_types::{ContentImportView, ContentStatusView, PublicDocView};
use sovra_cas::{AddedEntry, Adder, BlockSink, BlockSource, CasError, Cid, Profile};

use crate::{Client, ClientError};

impl Client {
    /// Uploads a CAR stream to the node (`POST /v1/content`) as the identity of `token` (see
    /// [`Client::login`]); the upload counts against that identity's quota.
    pub fn upload_car(
        &self,
        token: &str,
        car: impl Read + Send + 'static,
    ) -> Result<ContentImportView, ClientError> {
        self.post_car("/v1/content", Some(token), car)
    }

    /// Posts a CAR stream to `path`, with a bearer token when given.
    pub(crate) fn post_car(
        &self,
        path: &str,
        token: Option<&str>,
        car: impl Read + Send + 'static,
    ) -> Result<ContentImportView, ClientError> {
        let url = format!("{}{path}", self.base());
        let mut request = self
            .agent()
            .post(&url)
            .config()
            .timeout_global(None)
            .build()
            .header("content-type", "application/vnd.ipld.car");
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let resp = request
            .send(ureq::SendBody::from_owned_reader(car))
            .map_err(|e| self.transport(&url, e))?;
        self.read(&url, resp)
    }

    /// Uploads `data` as one raw block (as a one-block CAR) as the identity of `token`;
    /// returns its CID.
    pub fn upload_raw(&self, token: &str, data: Vec<u8>) -> Result<Cid, ClientError> {
        let (cid, car) = raw_block_car(data)?;
        self.upload_car(token, std::io::Cursor::new(car))?;
        Ok(cid)
    }

    /// Imports a file or directory locally with `profile` and streams its blocks to the node as
    /// the identity of `token`. Memory stays bounded whatever the size: blocks flow through a
    /// pipe as they are made. `progress` receives the content bytes read so far.
    pub fn add_path(
        &self,
        token: &str,
        path: &Path,
        profile: Profile,
        include_hidden: bool,
        progress: impl FnMut(u64) + Send + 'static,
    ) -> Result<(AddedEntry, ContentImportView), ClientError> {
        let path = path.to_path_buf();
        self.stream_blocks("/v1/content", Some(token), move |mut sink| {
            let mut progress = progress;
            Adder::new(profile)
                .include_hidden(include_hidden)
                .with_progress(&mut progress)
                .add_path(&path, &mut sink)
        })
    }

    /// Runs `produce` on its own thread, streaming the blocks it makes to `path` as a CAR
    /// while they are made (bounded memory whatever the size).
    pub(crate) fn stream_blocks(
        &self,
        path: &str,
        token: Option<&str>,
        produce: impl FnOnce(&mut dyn BlockSink) -> Result<AddedEntry, CasError> + Send + 'static,
    ) -> Result<(AddedEntry, ContentImportView), ClientError> {
        let (reader, writer) = std::io::pipe().map_err(|e| self.transport("pipe", e))?;
        let producer = std::thread::spawn(move || -> Result<AddedEntry, CasError> {
            let mut sink = CarStreamSink::new(writer);
            let added = produce(&mut sink)?;
            sink.finish()?;
            Ok(added)
        });
        let uploaded = self.post_car(path, token, reader);
        let produced = producer.join();
        // The node's answer first: a refusal (quota, limit) is why the producer's pipe broke.
        let uploaded = uploaded?;
        let added = produced.map_err(|_| ClientError::Worker("import"))??;
        Ok((added, uploaded))
    }

    /// Who pins a root and whether the node holds all of it.
    pub fn content_status(&self, cid: &Cid) -> Result<ContentStatusView, ClientError> {
        self.get(&format!("/v1/content/{cid}"))
    }

    /// The CID an identity's public document points to.
    pub fn public_doc(
        &self,
        did: &sovra_types::Did,
        name: &str,
    ) -> Result<PublicDocView, ClientError> {
        self.get(&format!("/v1/accounts/{did}/public/{name}"))
    }

    /// One raw block from the node's gateway, verified against `cid`.
    pub fn raw_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, ClientError> {
        let url = format!("{}/ipfs/{cid}?format=raw", self.base());
        let mut resp = self
            .agent()
            .get(&url)
            .call()
            .map_err(|e| self.transport(&url, e))?;
        let status = resp.status().as_u16();
        if status == 404 {
            return Ok(None);
        }
        if status != 200 {
            let (_, text) = self.text(&url, resp)?;
            return Err(crate::http::api_error(status, &text));
        }
        let data = resp
            .body_mut()
            .with_config()
            .limit(sovra_cas::limits::MAX_BLOCK_BYTES as u64)
            .read_to_vec()
            .map_err(|e| self.transport(&url, e))?;
        sovra_cas::verify_block(cid, &data).map_err(|source| ClientError::block(cid, source))?;
        Ok(Some(data))
    }

    /// Streams the CAR of `path` (`CID[/sub/path]`) with `dag-scope` to `out`, at most
    /// `max_bytes` of it; returns its bytes. A longer answer is an error.
    pub fn export_car(
        &self,
        path: &str,
        scope: &str,
        max_bytes: u64,
        out: &mut impl Write,
    ) -> Result<u64, ClientError> {
        let url = format!("{}/ipfs/{path}?format=car&dag-scope={scope}", self.base());
        let mut resp = self
            .agent()
            .get(&url)
            .config()
            .timeout_global(None)
            .build()
            .call()
            .map_err(|e| self.transport(&url, e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            let (_, text) = self.text(&url, resp)?;
            return Err(crate::http::api_error(status, &text));
        }
        let mut body = resp.body_mut().as_reader().take(max_bytes);
        let copied = std::io::copy(&mut body, out).map_err(|e| self.transport(&url, e))?;
        let mut probe = [0u8; 1];
        // A read error here leaves the length unknown: it is an error, not a complete CAR.
        if copied == max_bytes
            && body
                .into_inner()
                .read(&mut probe)
                .map_err(|e| self.transport(&url, e))?
                > 0
        {
            return Err(ClientError::CarTooLarge { max_bytes });
        }
        Ok(copied)
    }
}

/// `data` as one raw block and a one-block CAR holding it.
pub(crate) fn raw_block_car(data: Vec<u8>) -> Result<(Cid, Vec<u8>), ClientError> {
    let cid = sovra_cas::raw_cid(&data);
    let mut blocks = sovra_cas::MemoryBlocks::new();
    sovra_cas::BlockSink::put_block(&mut blocks, cid, data)?;
    let mut car = Vec::new();
    sovra_cas::car::export(
        &blocks,
        &cid,
        &[],
        &cid,
        sovra_cas::dag::Scope::All,
        &mut car,
    )?;
    Ok((cid, car))
}

/// The node's blocks, fetched one by one through the gateway and each verified: a
/// [`BlockSource`] for reading content without trusting the node.
pub struct RemoteBlocks<'c> {
    client: &'c Client,
}

impl<'c> RemoteBlocks<'c> {
    /// Blocks of the node behind `client`.
    pub fn new(client: &'c Client) -> Self {
        Self { client }
    }
}

impl BlockSource for RemoteBlocks<'_> {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, CasError> {
        self.client.raw_block(cid).map_err(CasError::store)
    }
}

/// Writes blocks as a CAR stream. The header names the first block written (a CAR's root must
/// be one of its blocks, and the DAG's own root is only known at the end); the caller reports the
/// real root, which the node checks is complete when it is pinned.
struct CarStreamSink<W: Write> {
    out: Option<W>,
    writer: Option<fvm_ipld_car::CarWriter<W>>,
}

impl<W: Write> CarStreamSink<W> {
    fn new(out: W) -> Self {
        Self {
            out: Some(out),
            writer: None,
        }
    }

    fn finish(mut self) -> Result<(), CasError> {
        if let Some(w) = self.writer.as_mut() {
            w.flush().map_err(CasError::CarWrite)?;
        }
        Ok(())
    }
}

impl<W: Write> BlockSink for CarStreamSink<W> {
    fn put_block(&mut self, cid: Cid, data: Vec<u8>) -> Result<(), CasError> {
        if self.writer.is_none() {
            let out = self
                .out
                .take()
                .ok_or_else(|| CasError::Car("CAR writer lost".into()))?;
            self.writer = Some(
                fvm_ipld_car::CarWriter::new(fvm_ipld_car::CarHeader::from(vec![cid]), out)
                    .map_err(CasError::CarWrite)?,
            );
        }
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| CasError::Car("CAR writer lost".into()))?;
        writer
            .write(fvm_ipld_car::Block { cid, data })
            .map_err(CasError::CarWrite)
    }
}
