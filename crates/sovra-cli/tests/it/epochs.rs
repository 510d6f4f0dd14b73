//! Real processes on loopback: validators chosen by stake. A testnet of four bonded validators,
//! and a fifth `sovra node` with a new key that is no genesis validator: an identity registers
//! that key as its candidate and bonds to it in one transaction; the other nodes start
//! connecting to it (their p2p peer sets follow the candidates), it catches up, and from the
//! epoch stake puts it in the set it votes: with five validators a quorum is four, so after
//! one original node is killed the chain moves on only with the new one.

use crate::common::{
    Node, PORT_STRIDE, dev_key, init_testnet, port_base, run_tx, start, test_dir, wait_until,
};
use sovra_client::Client;
use sovra_crypto::SigningKey;
use sovra_types::{
    AccountsAction, Action, Did, StakingAction,
    actions::staking::ValidatorRegistration,
    staking::{VALIDATOR_KEY_NAMESPACE, validator_key_message},
};
use std::time::Duration;

fn height(c: &Client) -> u64 {
    c.status().map(|s| s.finalized_height).unwrap_or(0)
}

#[test]
fn a_fifth_node_stake_puts_in_the_set_validates_from_its_epoch() {
    let (_guard, dir) = test_dir();
    let base = port_base();
    init_testnet(&dir, 4, 2, base);
    // The fifth node: a new consensus key, the testnet's genesis, ports after the others'.
    let consensus = SigningKey::generate().unwrap();
    let node4 = dir.join("node4");
    std::fs::create_dir_all(&node4).unwrap();
    sovra_node::config::write_key_file(&node4.join("validator.key"), &consensus).unwrap();
    let mut cfg = sovra_node::config::NodeConfig::load(&dir.join("node0/config.toml")).unwrap();
    cfg.data_dir = node4.join("data");
    cfg.key_file = node4.join("validator.key");
    cfg.genesis = dir.join("genesis.json");
    cfg.api_listen = format!("127.0.0.1:{}", base + 4).parse().unwrap();
    cfg.p2p_listen = format!("127.0.0.1:{}", base + PORT_STRIDE + 4)
        .parse()
        .unwrap();
    cfg.save(&node4.join("config.toml")).unwrap();

    let mut nodes: Vec<Option<Node>> = (0..5).map(|i| Some(start(&dir, i))).collect();
    let clients: Vec<Client> = (0..5)
        .map(|i| Client::new(&format!("http://127.0.0.1:{}", base + i as u16)))
        .collect();
    {
        wait_until("the testnet to finalize", Duration::from_secs(60), || {
            clients[..4].iter().all(|c| height(c) >= 2)
        });
        let chain = clients[0].status().unwrap().chain_id;
        // Carol, funded by dev0, registers the fifth node's key and bonds to it.
        let carol_key = SigningKey::from_test_seed(77);
        let carol = Did::from_public_key(&carol_key.public_key());
        let dev0 = dev_key(0);
        let status = run_tx(
            &clients[0],
            &dev0,
            &Did::from_public_key(&dev0.public_key()),
            vec![Action::Accounts(AccountsAction::Transfer {
                to: carol.clone(),
                amount: 600_000,
            })],
        );
        assert_eq!(status, "completed");
        let registration = ValidatorRegistration {
            consensus_key: consensus.public_key(),
            p2p_address: cfg.p2p_listen.to_string(),
            commission_bps: 0,
            proof: consensus.sign(
                VALIDATOR_KEY_NAMESPACE,
                &validator_key_message(&chain, &carol),
            ),
        };
        let status = run_tx(
            &clients[0],
            &carol_key,
            &carol,
            vec![
                Action::Staking(StakingAction::RegisterValidator(Box::new(registration))),
                Action::Staking(StakingAction::Delegate {
                    validator: carol.clone(),
                    amount: 500_000,
                }),
            ],
        );
        assert_eq!(status, "completed");

        // The next boundary chooses a set of five; wait until its epoch is under way and the
        // fifth node follows the chain.
        let mut epoch = None;
        wait_until("a set of five", Duration::from_secs(90), || {
            let sets = clients[0].validator_sets().unwrap();
            epoch = sets
                .sets
                .iter()
                .find(|s| s.members.len() == 5)
                .map(|s| s.epoch);
            epoch.is_some()
        });
        let params = clients[0].params().unwrap();
        let start_height = epoch.unwrap() * params.params.epoch_length;
        wait_until(
            "the fifth node to catch up",
            Duration::from_secs(90),
            || clients.iter().all(|c| height(c) >= start_height + 3),
        );
        // Every node's status lists the set in force: five keys, the new one among them.
        for c in &clients {
            let status = c.status().unwrap();
            assert_eq!(status.validators.len(), 5, "{:?}", status.validators);
            assert!(status.validators.contains(&status_key(&clients[4])));
        }

        // Kill node 0: the four left (the new one among them) are a quorum of five.
        nodes[0] = None;
        let h = height(&clients[1]);
        wait_until(
            "four of five, the new validator among them, to finalize",
            Duration::from_secs(60),
            || clients[1..].iter().all(|c| height(c) >= h + 6),
        );
        let a = clients[1].block(Some(h + 5)).unwrap();
        let b = clients[4].block(Some(h + 5)).unwrap();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap(),
            "the new node has the same blocks"
        );
    }
}

/// The consensus key a node reports as its own.
fn status_key(client: &Client) -> String {
    client.status().unwrap().node_key
}
