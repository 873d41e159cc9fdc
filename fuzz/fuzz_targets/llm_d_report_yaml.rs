#![no_main]

mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run("llm_d_report_yaml", data));
