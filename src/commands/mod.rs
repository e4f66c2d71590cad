//! One module per subcommand.

pub mod check;
pub mod compare;
pub mod curves;
pub mod optimize;
pub mod report;
pub mod run;
pub mod validate;
