//! The integration tests of `sovra-execution`, in one binary (the dependencies are linked once):
//! the execution modules, rule by rule.

mod assets;
mod common;
mod content;
mod economy;
mod identity;
mod recovery;
mod rewards;
mod slashing;
mod transfers;
mod validator_set;
mod vault;
