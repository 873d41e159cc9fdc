//! Sweep runners (online over a server, offline over trtllm-bench).

pub mod autodeploy;
