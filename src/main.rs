fn main() -> std::process::ExitCode {
    engross::cli::main()
}
