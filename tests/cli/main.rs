//! Integration tests: they drive the built binary on real log files and
//! compare whole outputs with golden files (`LOGWITNESS_BLESS=1` rewrites
//! them, so changes are reviewed as diffs).

mod appservers;
mod aws;
mod corpus;
mod custom;
mod duplicates;
mod haproxy;
mod harness;
mod html;
mod inputs;
mod json;
mod matching;
mod proxies;
mod proxy_manager;
mod rewindow;
mod safety;
mod sample;
mod verdicts;
mod w3c;
mod wrapped;
