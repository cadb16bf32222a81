fn main() -> std::process::ExitCode {
    followup_server::cli::main()
}
