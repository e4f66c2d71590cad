//! The actuals reader (`racesim track`) on arbitrary bytes, held to
//! `racesim::oracle::actuals`: no panic, and what it accepts updates the
//! assumptions to finite draws or gives a clear error.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = racesim::oracle::actuals(data) {
        panic!("{broken}");
    }
});
