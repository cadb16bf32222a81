/// jemalloc rather than glibc's malloc: the database work runs on a pool of
/// blocking threads, and glibc gives threads arenas of their own that keep
/// freed memory, which showed as peak RSS far above the live heap under load.
/// jemalloc's configuration (few arenas, freed pages returned within a
/// second by a background thread) is set in `.cargo/config.toml`.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    followup_server::cli::main()
}
