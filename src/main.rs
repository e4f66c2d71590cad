use clap::Parser;

fn main() {
    let cli = racesim::cli::Cli::parse();
    let code = match racesim::run(cli) {
        Ok(code) => code,
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
