/// mimalloc for the command line: the layout and the PDF writer make and drop many small
/// objects, on several threads when a roster is rendered (the library leaves the choice of
/// allocator to its users).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    engross::cli::main()
}
