//! `sovra asset ...`: native assets (docs/assets.md): create a class, mint, burn, send, approve,
//! send on another's behalf, freeze, hand on or close minting, lock with vesting, release, put
//! tokens into a non-fungible token's bundle and take them out; and read a class, a token or a
//! balance with a state proof.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use sovra_api_types::AssetTokenView;
use sovra_client::Client;
use sovra_types::{
    Action, AssetClass, AssetClassId, AssetKind, AssetsAction, Bundle, ClassFlags, ClassTerms,
    ContentId, Did, HolderBalance, LockSchedule, StateKey, TokenRecord, TokenRef, assets::lock_id,
};

use crate::args::NodeArgs;
use crate::keystore::load_key;
use crate::output::OutputArgs;
use crate::signer::{self, SignerArgs, send_and_wait};
use crate::time::{parse_when, time};

/// `sovra asset` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum AssetCommand {
    /// Create the class `<your DID>/<NAME>`; you are its issuer and mint authority.
    Create {
        /// The class's name among yours (1-32 of A-Z a-z 0-9 . _ -).
        name: String,
        /// fungible, non-fungible (nft) or semi-fungible (sft).
        #[arg(long, default_value = "fungible")]
        kind: String,
        /// Ticker symbol (1-16 bytes).
        #[arg(long)]
        symbol: String,
        /// Human-readable title (up to 64 bytes).
        #[arg(long, default_value = "")]
        title: String,
        /// Decimals, for display (fungible classes only, at most 38).
        #[arg(long, default_value_t = 0)]
        decimals: u8,
        /// Most tokens that may exist at once (all token ids together).
        #[arg(long)]
        max_supply: Option<u128>,
        /// Holders may move, approve and lock tokens (without it the class is soulbound).
        #[arg(long)]
        transferable: bool,
        /// Holders may burn their own tokens.
        #[arg(long)]
        holder_burnable: bool,
        /// The issuer may burn anyone's tokens (e.g. to revoke a soulbound token).
        #[arg(long)]
        issuer_burnable: bool,
        /// The issuer may freeze holders.
        #[arg(long)]
        freezable: bool,
        /// CID of public content describing the class.
        #[arg(long)]
        metadata: Option<String>,
        /// Signer: the issuer.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Mint tokens (the mint authority only).
    Mint {
        /// The class (`<issuer DID>/<name>`).
        class: String,
        /// Recipient.
        #[arg(long)]
        to: String,
        /// Units (1 for a non-fungible token).
        #[arg(long, default_value_t = 1)]
        amount: u128,
        #[command(flatten)]
        token: TokenArg,
        /// The token's metadata CID (non-fungible and semi-fungible classes).
        #[arg(long)]
        metadata: Option<String>,
        /// Signer: the mint authority.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Burn tokens: your own (holder-burnable classes) or, as issuer, anyone's (issuer-burnable).
    Burn {
        /// The class.
        class: String,
        /// Units.
        #[arg(long)]
        amount: u128,
        #[command(flatten)]
        token: TokenArg,
        /// Whose tokens (default: the signer's).
        #[arg(long)]
        holder: Option<String>,
        /// Signer.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Send tokens to another identity.
    Send {
        /// The class.
        class: String,
        /// Recipient.
        #[arg(long)]
        to: String,
        /// Units.
        #[arg(long)]
        amount: u128,
        #[command(flatten)]
        token: TokenArg,
        /// Signer: the holder.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Allow a spender to move up to AMOUNT of your tokens of the class (0 removes it).
    Approve {
        /// The class.
        class: String,
        /// Who may spend.
        #[arg(long)]
        spender: String,
        /// Units, all token ids together.
        #[arg(long)]
        amount: u128,
        /// Signer: the holder.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Move another holder's tokens within the allowance it gave you.
    SendFrom {
        /// The class.
        class: String,
        /// Whose tokens.
        #[arg(long)]
        owner: String,
        /// Recipient.
        #[arg(long)]
        to: String,
        /// Units.
        #[arg(long)]
        amount: u128,
        #[command(flatten)]
        token: TokenArg,
        /// Signer: the spender.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Freeze a holder (the issuer of a freezable class only).
    Freeze {
        /// The class.
        class: String,
        /// The holder.
        #[arg(long)]
        holder: String,
        /// Signer: the issuer.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Unfreeze a holder (the issuer only).
    Unfreeze {
        /// The class.
        class: String,
        /// The holder.
        #[arg(long)]
        holder: String,
        /// Signer: the issuer.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Hand minting to another identity, or close it for good (the mint authority only).
    MintAuthority {
        /// The class.
        class: String,
        /// The new mint authority.
        #[arg(long, conflicts_with = "close", required_unless_present = "close")]
        to: Option<String>,
        /// Close minting for good.
        #[arg(long)]
        close: bool,
        /// Signer: the mint authority.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Lock tokens for an identity: all at `--until`, or vesting linearly from `--start` to
    /// `--end` with nothing before `--cliff`. Prints the lock id.
    Lock {
        /// The class.
        class: String,
        /// The identity they vest to.
        #[arg(long)]
        to: String,
        /// Units.
        #[arg(long)]
        amount: u128,
        #[command(flatten)]
        token: TokenArg,
        /// Everything vests at this time (RFC 3339, YYYY-MM-DD or +N{s,m,h,d}).
        #[arg(long, conflicts_with_all = ["start", "cliff", "end"], required_unless_present = "end")]
        until: Option<String>,
        /// Vesting starts (default: now).
        #[arg(long)]
        start: Option<String>,
        /// Nothing vests before this (default: the start).
        #[arg(long)]
        cliff: Option<String>,
        /// Everything has vested.
        #[arg(long)]
        end: Option<String>,
        /// Signer: the holder of the tokens locked.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Release what has vested of one of your locks.
    Release {
        /// The class.
        class: String,
        /// The lock's id (printed by `sovra asset lock`).
        #[arg(long)]
        lock: u64,
        #[command(flatten)]
        token: TokenArg,
        /// Signer: the lock's holder.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Put your tokens into the bundle of a non-fungible token you own (composable tokens:
    /// they then move with it, and only its owner takes them out).
    Nest {
        /// The token that receives them (`<issuer DID>/<name>#<token id>`).
        parent: String,
        /// The class of the tokens put in.
        class: String,
        /// Units (1 for a non-fungible token).
        #[arg(long, default_value_t = 1)]
        amount: u128,
        #[command(flatten)]
        token: TokenArg,
        /// Signer: the owner of both.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Take tokens out of the bundle of a non-fungible token you own and give them to an
    /// identity (yourself by default).
    Unnest {
        /// The token that holds them (`<issuer DID>/<name>#<token id>`).
        parent: String,
        /// The class of the tokens taken out.
        class: String,
        /// Units (1 for a non-fungible token).
        #[arg(long, default_value_t = 1)]
        amount: u128,
        /// Recipient (default: the signer).
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        token: TokenArg,
        /// Signer: the owner of the holding token.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Show one token of a non-fungible or semi-fungible class (owner, metadata, what it
    /// holds), verified with state proofs.
    Token {
        /// The class.
        class: String,
        /// The token id.
        token: u64,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Show a class (terms, mint authority, supply), verified with a state proof.
    Show {
        /// The class.
        class: String,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// List what an identity holds (positive balances, open locks) and the classes it issued.
    List {
        /// The identity.
        did: String,
        /// Most entries of each list.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Show a holder's balance of a class, verified with a state proof.
    Balance {
        /// The class.
        class: String,
        /// The holder.
        holder: String,
        #[command(flatten)]
        token: TokenArg,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// The token id option.
#[derive(Args, Debug)]
pub(crate) struct TokenArg {
    /// The token id within the class (0, the default, in a fungible class).
    #[arg(long = "token", default_value_t = 0)]
    id: u64,
}

fn class(s: &str) -> Result<AssetClassId> {
    Ok(AssetClassId::parse(s)?)
}

fn cid(s: Option<String>) -> Result<Option<ContentId>> {
    Ok(s.map(|c| ContentId::parse(&c)).transpose()?)
}

/// Sends one assets action as the signer and waits for it to complete.
fn send(signer: &SignerArgs, action: AssetsAction) -> Result<()> {
    send_and_wait(signer, Action::Assets(action))?;
    Ok(())
}

/// Runs a `sovra asset` command.
pub(crate) fn run(command: AssetCommand) -> Result<()> {
    match command {
        AssetCommand::Create {
            name,
            kind,
            symbol,
            title,
            decimals,
            max_supply,
            transferable,
            holder_burnable,
            issuer_burnable,
            freezable,
            metadata,
            signer,
        } => {
            sovra_types::assets::validate_class_name(&name)?;
            let bits = [
                (transferable, ClassFlags::TRANSFERABLE),
                (holder_burnable, ClassFlags::HOLDER_BURNABLE),
                (issuer_burnable, ClassFlags::ISSUER_BURNABLE),
                (freezable, ClassFlags::FREEZABLE),
            ]
            .into_iter()
            .filter(|(on, _)| *on)
            .fold(0, |acc, (_, bit)| acc | bit);
            let terms = ClassTerms {
                kind: AssetKind::parse(&kind)?,
                symbol,
                title,
                decimals,
                max_supply,
                flags: ClassFlags(bits),
                metadata: cid(metadata)?,
            };
            terms.validate()?;
            send(&signer, AssetsAction::Create { name, terms })
        }
        AssetCommand::Mint {
            class: c,
            to,
            amount,
            token,
            metadata,
            signer,
        } => send(
            &signer,
            AssetsAction::Mint {
                class: class(&c)?,
                token: token.id,
                to: Did::parse(&to)?,
                amount: positive(amount)?,
                metadata: cid(metadata)?,
            },
        ),
        AssetCommand::Burn {
            class: c,
            amount,
            token,
            holder,
            signer,
        } => {
            let holder = match holder {
                Some(h) => Did::parse(&h)?,
                None => signer::signer_did(&signer, &load_key(&signer.key, &signer.keystore)?)?,
            };
            send(
                &signer,
                AssetsAction::Burn {
                    class: class(&c)?,
                    token: token.id,
                    holder,
                    amount: positive(amount)?,
                },
            )
        }
        AssetCommand::Send {
            class: c,
            to,
            amount,
            token,
            signer,
        } => send(
            &signer,
            AssetsAction::Transfer {
                class: class(&c)?,
                token: token.id,
                to: Did::parse(&to)?,
                amount: positive(amount)?,
            },
        ),
        AssetCommand::Approve {
            class: c,
            spender,
            amount,
            signer,
        } => send(
            &signer,
            AssetsAction::Approve {
                class: class(&c)?,
                spender: Did::parse(&spender)?,
                amount,
            },
        ),
        AssetCommand::SendFrom {
            class: c,
            owner,
            to,
            amount,
            token,
            signer,
        } => send(
            &signer,
            AssetsAction::TransferFrom {
                class: class(&c)?,
                token: token.id,
                from: Did::parse(&owner)?,
                to: Did::parse(&to)?,
                amount: positive(amount)?,
            },
        ),
        AssetCommand::Freeze {
            class: c,
            holder,
            signer,
        } => freeze(&signer, &c, &holder, true),
        AssetCommand::Unfreeze {
            class: c,
            holder,
            signer,
        } => freeze(&signer, &c, &holder, false),
        AssetCommand::MintAuthority {
            class: c,
            to,
            close,
            signer,
        } => {
            let authority = if close {
                None
            } else {
                Some(Did::parse(to.as_deref().unwrap_or_default())?)
            };
            send(
                &signer,
                AssetsAction::SetMintAuthority {
                    class: class(&c)?,
                    authority,
                },
            )
        }
        AssetCommand::Lock {
            class: c,
            to,
            amount,
            token,
            until,
            start,
            cliff,
            end,
            signer,
        } => {
            let schedule = match until {
                Some(at) => {
                    let at = parse_when(&at)?;
                    LockSchedule {
                        start_ms: at,
                        cliff_ms: at,
                        end_ms: at,
                    }
                }
                None => {
                    let start_ms = match start {
                        Some(s) => parse_when(&s)?,
                        None => crate::time::now_ms(),
                    };
                    let cliff_ms = match cliff {
                        Some(s) => parse_when(&s)?,
                        None => start_ms,
                    };
                    let end_ms = parse_when(end.as_deref().unwrap_or_default())?;
                    LockSchedule {
                        start_ms,
                        cliff_ms,
                        end_ms,
                    }
                }
            };
            schedule.validate()?;
            let client = Client::new(&signer.node.node);
            let key = load_key(&signer.key, &signer.keystore)?;
            let from = signer::signer_did(&signer, &key)?;
            let tx = signer::build(
                &client,
                &key,
                &from,
                vec![Action::Assets(AssetsAction::Lock {
                    class: class(&c)?,
                    token: token.id,
                    to: Did::parse(&to)?,
                    amount: positive(amount)?,
                    schedule,
                })],
                &signer,
            )?;
            let id = lock_id(&tx.id(), 0);
            signer::submit(&client, &tx, &signer)?;
            println!("{id}");
            Ok(())
        }
        AssetCommand::Release {
            class: c,
            lock,
            token,
            signer,
        } => send(
            &signer,
            AssetsAction::Release {
                class: class(&c)?,
                token: token.id,
                lock,
            },
        ),
        AssetCommand::Nest {
            parent,
            class: c,
            amount,
            token,
            signer,
        } => send(
            &signer,
            AssetsAction::Nest {
                parent: TokenRef::parse(&parent)?,
                class: class(&c)?,
                token: token.id,
                amount: positive(amount)?,
            },
        ),
        AssetCommand::Unnest {
            parent,
            class: c,
            amount,
            to,
            token,
            signer,
        } => {
            let to = match to {
                Some(to) => Did::parse(&to)?,
                None => signer::signer_did(&signer, &load_key(&signer.key, &signer.keystore)?)?,
            };
            send(
                &signer,
                AssetsAction::Unnest {
                    parent: TokenRef::parse(&parent)?,
                    class: class(&c)?,
                    token: token.id,
                    amount: positive(amount)?,
                    to,
                },
            )
        }
        AssetCommand::Token {
            class: c,
            token,
            output,
            node,
        } => show_token(&class(&c)?, token, &output, &node),
        AssetCommand::Show {
            class: c,
            output,
            node,
        } => {
            let id = class(&c)?;
            let client = Client::new(&node.node);
            let v = client.verified_state(&StateKey::AssetClass(id.clone()))?;
            let Some(bytes) = v.value else {
                bail!(
                    "no asset class {id} (proven absent at height {})",
                    v.header.height
                );
            };
            let class = AssetClass::decode(&bytes)?;
            let t = &class.terms;
            let view = json!({
                "class": id.to_string(),
                "kind": t.kind.as_str(),
                "symbol": t.symbol,
                "title": t.title,
                "decimals": t.decimals,
                "max_supply": t.max_supply.map(|m| m.to_string()),
                "flags": t.flags.names(),
                "metadata": t.metadata.as_ref().map(|c| c.to_string()),
                "mint_authority": class.mint_authority.as_ref().map(|d| d.to_string()),
                "supply": class.supply.to_string(),
                "height": v.header.height,
            });
            output.emit(&view, |_| {
                format!(
                    "{id}\n{} {} ({}), {} decimals\nsupply {}{}\nflags: {}\nmint authority: {}\nverified at height {} ({})\n",
                    t.symbol,
                    t.title,
                    t.kind.as_str(),
                    t.decimals,
                    class.supply,
                    t.max_supply.map(|m| format!(" of at most {m}")).unwrap_or_default(),
                    if t.flags.names().is_empty() {
                        "none (soulbound)".to_string()
                    } else {
                        t.flags.names().join(", ")
                    },
                    class
                        .mint_authority
                        .as_ref()
                        .map_or("none (minting closed)".to_string(), |d| d.to_string()),
                    v.header.height,
                    time(v.header.timestamp_ms),
                )
            })
        }
        AssetCommand::List {
            did,
            limit,
            output,
            node,
        } => {
            let did = Did::parse(&did)?;
            let client = Client::new(&node.node);
            let held = client.asset_holdings(&did, limit)?;
            let issued = client.asset_classes(&did, limit)?;
            let view = json!({
                "did": did.to_string(),
                "holdings": held.holdings,
                "locks": held.locks,
                "issued": issued.classes,
            });
            output.emit(&view, |_| {
                let mut text = String::new();
                for h in &held.holdings {
                    text.push_str(&format!("{}  token {}  {}\n", h.class, h.token, h.balance));
                }
                for l in &held.locks {
                    text.push_str(&format!(
                        "lock {}  {}  token {}  {} of {} released, vesting {} to {} (cliff {})\n",
                        l.id,
                        l.class,
                        l.token,
                        l.released,
                        l.amount,
                        time(l.start_ms),
                        time(l.end_ms),
                        time(l.cliff_ms)
                    ));
                }
                for c in &issued.classes {
                    text.push_str(&format!(
                        "issued {}  {} ({}), supply {}\n",
                        c.class, c.symbol, c.kind, c.supply
                    ));
                }
                if text.is_empty() {
                    text.push_str("no assets\n");
                }
                text
            })
        }
        AssetCommand::Balance {
            class: c,
            holder,
            token,
            output,
            node,
        } => {
            let id = class(&c)?;
            let holder = Did::parse(&holder)?;
            let client = Client::new(&node.node);
            let v = client.verified_state(&StateKey::AssetBalance {
                class: id.clone(),
                token: token.id,
                holder: holder.clone(),
            })?;
            let balance = v
                .value
                .as_deref()
                .map(HolderBalance::decode)
                .transpose()?
                .map_or(0, |r| r.amount);
            let view = json!({
                "class": id.to_string(),
                "token": token.id,
                "holder": holder.to_string(),
                "balance": balance.to_string(),
                "height": v.header.height,
            });
            output.emit(&view, |_| {
                format!(
                    "{balance}\n(verified at height {}, {})\n",
                    v.header.height,
                    time(v.header.timestamp_ms)
                )
            })
        }
    }
}

/// Shows one token and its bundle, each read with a verified state proof.
fn show_token(id: &AssetClassId, token: u64, output: &OutputArgs, node: &NodeArgs) -> Result<()> {
    let client = Client::new(&node.node);
    let class = client.verified_state(&StateKey::AssetClass(id.clone()))?;
    let Some(class) = class.value else {
        bail!("no asset class {id}");
    };
    let kind = AssetClass::decode(&class)?.terms.kind;
    let v = client.verified_state(&StateKey::AssetToken {
        class: id.clone(),
        token,
    })?;
    let Some(bytes) = v.value else {
        bail!(
            "no token {token} of {id} (proven absent at height {}; fungible classes have no token records)",
            v.header.height
        );
    };
    let record = TokenRecord::decode(&bytes)?;
    let bundle = client.verified_state(&StateKey::AssetBundle {
        class: id.clone(),
        token,
    })?;
    let bundle = bundle
        .value
        .as_deref()
        .map(Bundle::decode)
        .transpose()?
        .unwrap_or_default();
    let view = AssetTokenView::new(id, kind, token, &record, &bundle);
    output.emit(&json!(view), |_| {
        let mut text = format!(
            "{id}#{token}: {}{}
supply {}
metadata: {}
",
            view.status,
            view.owner
                .as_ref()
                .map(|o| format!(" by {o}"))
                .unwrap_or_default(),
            view.supply,
            view.metadata.as_deref().unwrap_or("none"),
        );
        for item in &view.bundle {
            text.push_str(&format!(
                "holds {}  token {}  {}
",
                item.class, item.token, item.amount
            ));
        }
        text.push_str(&format!(
            "verified at height {} ({})
",
            v.header.height,
            time(v.header.timestamp_ms)
        ));
        text
    })
}

/// Freezes or unfreezes `holder` in `class`.
fn freeze(signer: &SignerArgs, c: &str, holder: &str, frozen: bool) -> Result<()> {
    send(
        signer,
        AssetsAction::Freeze {
            class: class(c)?,
            holder: Did::parse(holder)?,
            frozen,
        },
    )
}

/// Refuses a zero amount before paying a fee for a transaction that would be refused.
fn positive(amount: u128) -> Result<u128> {
    if amount == 0 {
        bail!("the amount must be at least 1");
    }
    Ok(amount)
}
