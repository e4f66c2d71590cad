//! `racesim validate`: check a scenario and show what each channel rests on.

use crate::cli::ValidateArgs;
use crate::error::{EXIT_OK, Error};
use crate::export::validate::render;
use crate::scenario;

pub fn run(args: &ValidateArgs) -> Result<i32, Error> {
    let scn = scenario::load(&args.scenario)?;
    crate::output::emit(None, &render(&scn))?;
    Ok(EXIT_OK)
}
