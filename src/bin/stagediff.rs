use clap::Parser;

fn main() {
    let cli = stagediff::cli::Cli::parse();
    std::process::exit(stagediff::cli::run(cli));
}
