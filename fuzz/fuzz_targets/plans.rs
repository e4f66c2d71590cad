//! The plans reader on arbitrary bytes, held to `racesim::oracle::plans`:
//! no panic, and what it accepts simulates to finite numbers or a clear error.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = racesim::oracle::plans(data) {
        panic!("{broken}");
    }
});
