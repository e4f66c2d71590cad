//! The scenario reader on arbitrary bytes, held to `racesim::oracle::scenario`:
//! no panic, and what it accepts simulates to finite numbers or a clear error.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = racesim::oracle::scenario(data) {
        panic!("{broken}");
    }
});
