use clap::Parser;

fn main() {
    let cli = racesim::cli::Cli::parse();
    let code = match racesim::run(cli) {
        Ok(code) => code,
        // The reader of standard output went away (`| head`): stop quietly.
        Err(err) if racesim::error::is_broken_pipe(&err) => racesim::error::exit_code_for(&err),
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            racesim::error::exit_code_for(&err)
        }
    };
    std::process::exit(code);
}
