//! Actions of the governance module: proposals, votes, results and execution.

use crate::{
    Did,
    codec::{bytes_size, read_text, write_bytes},
    governance::{MAX_DESCRIPTION_LEN, MAX_TITLE_LEN, ProposalContent, ProposalId, VoteOption},
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// A governance step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GovernanceAction {
    /// Submit a proposal, paying `deposit` (at least the minimum deposit) into escrow.
    Propose {
        /// Title.
        title: String,
        /// Description.
        description: String,
        /// What it asks for.
        content: ProposalContent,
        /// Deposit.
        deposit: u64,
    },
    /// Vote on an open proposal with the signer's stake at the proposal's snapshot (voting
    /// again replaces the vote).
    Vote {
        /// The proposal.
        proposal: ProposalId,
        /// The vote.
        option: VoteOption,
        /// For a delegator: the validator it delegated to at the snapshot (its vote then
        /// replaces that validator's for its stake). `None` for a validator voting its own
        /// stake. A wrong value makes the vote fail and change nothing.
        delegated_to: Option<Did>,
    },
    /// Count a proposal whose voting has ended: records the result, forfeits the deposit to
    /// the treasury (vetoed, no quorum) or makes it refundable, and if it passed with a
    /// parameter change schedules it for the proposal's execution height. Anyone may submit it.
    Finalize {
        /// The proposal.
        proposal: ProposalId,
    },
    /// Take what a finalized proposal owes the signer: its proposer's refundable deposit, and
    /// a passed treasury spend's payment to its recipient (at or after the execution height).
    /// Each is paid once.
    Claim {
        /// The proposal.
        proposal: ProposalId,
    },
    /// Apply a passed trust-registry proposal at or after its execution height, once. Anyone
    /// may submit it.
    Enact {
        /// The proposal.
        proposal: ProposalId,
        /// The verifier the proposal registers or removes (a check: the action fails if it
        /// names another).
        verifier: Did,
    },
}

impl GovernanceAction {
    const PROPOSE: u8 = 0;
    const VOTE: u8 = 1;
    const FINALIZE: u8 = 2;
    const CLAIM: u8 = 3;
    const ENACT: u8 = 4;

    /// A short name for logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            GovernanceAction::Propose { .. } => "propose",
            GovernanceAction::Vote { .. } => "vote",
            GovernanceAction::Finalize { .. } => "finalize_proposal",
            GovernanceAction::Claim { .. } => "claim_proposal",
            GovernanceAction::Enact { .. } => "enact_proposal",
        }
    }
}

impl Write for GovernanceAction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            GovernanceAction::Propose {
                title,
                description,
                content,
                deposit,
            } => {
                Self::PROPOSE.write(buf);
                write_bytes(title.as_bytes(), buf);
                write_bytes(description.as_bytes(), buf);
                content.write(buf);
                deposit.write(buf);
            }
            GovernanceAction::Vote {
                proposal,
                option,
                delegated_to,
            } => {
                Self::VOTE.write(buf);
                proposal.write(buf);
                option.write(buf);
                delegated_to.write(buf);
            }
            GovernanceAction::Finalize { proposal } => {
                Self::FINALIZE.write(buf);
                proposal.write(buf);
            }
            GovernanceAction::Claim { proposal } => {
                Self::CLAIM.write(buf);
                proposal.write(buf);
            }
            GovernanceAction::Enact { proposal, verifier } => {
                Self::ENACT.write(buf);
                proposal.write(buf);
                verifier.write(buf);
            }
        }
    }
}

impl EncodeSize for GovernanceAction {
    fn encode_size(&self) -> usize {
        1 + match self {
            GovernanceAction::Propose {
                title,
                description,
                content,
                ..
            } => {
                bytes_size(title.as_bytes())
                    + bytes_size(description.as_bytes())
                    + content.encode_size()
                    + 8
            }
            GovernanceAction::Vote { delegated_to, .. } => 16 + 1 + delegated_to.encode_size(),
            GovernanceAction::Finalize { .. } | GovernanceAction::Claim { .. } => 16,
            GovernanceAction::Enact { verifier, .. } => 16 + verifier.encode_size(),
        }
    }
}

impl Read for GovernanceAction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::PROPOSE => Ok(GovernanceAction::Propose {
                title: read_text(buf, 1..=MAX_TITLE_LEN, "proposal title")?,
                description: read_text(buf, 0..=MAX_DESCRIPTION_LEN, "proposal description")?,
                content: ProposalContent::read(buf)?,
                deposit: u64::read(buf)?,
            }),
            Self::VOTE => Ok(GovernanceAction::Vote {
                proposal: ProposalId::read(buf)?,
                option: VoteOption::read(buf)?,
                delegated_to: Option::<Did>::read(buf)?,
            }),
            Self::FINALIZE => Ok(GovernanceAction::Finalize {
                proposal: ProposalId::read(buf)?,
            }),
            Self::CLAIM => Ok(GovernanceAction::Claim {
                proposal: ProposalId::read(buf)?,
            }),
            Self::ENACT => Ok(GovernanceAction::Enact {
                proposal: ProposalId::read(buf)?,
                verifier: Did::read(buf)?,
            }),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}
