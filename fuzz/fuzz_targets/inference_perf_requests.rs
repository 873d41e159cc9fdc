#![no_main]

mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run("inference_perf_requests", data));
