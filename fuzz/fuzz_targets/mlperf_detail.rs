#![no_main]

mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run("mlperf_detail", data));
