//! Transaction gossip: transactions a node admits from its API are sent to
//! every other validator over a dedicated p2p channel, so whichever
//! validator leads next can include them. Received transactions go through
//! the same admission checks and are not forwarded again.

use crate::ledger::Ledger;
use commonware_codec::{Decode, Encode, RangeCfg};
use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use futures::{StreamExt, channel::mpsc};
use sovra_types::SignedTransaction;

/// Most transactions in one gossip message.
pub const MAX_GOSSIP_TXS: usize = 4096;
/// Target encoded size of one gossip message.
const GOSSIP_BYTES: usize = 1 << 20;
/// Batches waiting to be gossiped; beyond this, gossip is dropped (the
/// transactions stay in the local mempool and are proposed from here).
pub const GOSSIP_QUEUE: usize = 256;

/// Starts the gossip tasks and connects them to the ledger.
pub fn start<E, S, R>(context: E, ledger: Ledger<E>, (mut sender, mut receiver): (S, R))
where
    E: commonware_storage::Context + Spawner + Clock,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    let (queue, mut outbound) = mpsc::channel::<Vec<SignedTransaction>>(GOSSIP_QUEUE);
    ledger.set_gossip(queue);
    context.child("gossip_out").spawn(move |_| async move {
        while let Some(batch) = outbound.next().await {
            let mut chunk: Vec<SignedTransaction> = Vec::new();
            let mut size = 0;
            for tx in batch {
                size += tx.encode_size_hint();
                chunk.push(tx);
                if size >= GOSSIP_BYTES || chunk.len() >= MAX_GOSSIP_TXS {
                    sender.send(Recipients::All, std::mem::take(&mut chunk).encode(), false);
                    size = 0;
                }
            }
            if !chunk.is_empty() {
                sender.send(Recipients::All, chunk.encode(), false);
            }
        }
    });
    context.child("gossip_in").spawn(move |_| async move {
        while let Ok((peer, message)) = receiver.recv().await {
            let txs = match Vec::<SignedTransaction>::decode_cfg(
                message,
                &(RangeCfg::from(1..=MAX_GOSSIP_TXS), ()),
            ) {
                Ok(txs) => txs,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "dropping malformed gossip");
                    continue;
                }
            };
            let sized = txs
                .into_iter()
                .map(|t| {
                    let n = t.encode_size_hint();
                    (t, n)
                })
                .collect();
            if let Err(e) = ledger.admit_from_peer(sized).await {
                tracing::warn!(%peer, error = %e, "could not admit gossiped transactions");
            }
        }
    });
}

/// Encoded size without allocating twice.
trait SizeHint {
    fn encode_size_hint(&self) -> usize;
}

impl SizeHint for SignedTransaction {
    fn encode_size_hint(&self) -> usize {
        commonware_codec::EncodeSize::encode_size(self)
    }
}
