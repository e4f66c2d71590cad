use clap::Parser;

fn main() {
    let cli = racesim::cli::Cli::parse();
    racesim::interrupt::install();
    let code = match racesim::run(cli) {
        Ok(code) => code,
        // The reader of standard output went away (`| head`): stop quietly.
        Err(err) if err.is_broken_pipe() => err.exit_code(),
        Err(err) => {
            eprintln!("error: {}", err.describe());
            err.exit_code()
        }
    };
    std::process::exit(code);
}
