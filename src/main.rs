/// mimalloc for the command line: the layout and the PDF writer make and drop many small
/// objects, on several threads when a roster is rendered (the library leaves the choice of
/// allocator to its users).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The page policy from the start, before the runtime's first allocation (see
/// [`engross::cli::pages_at_start`]): a function in `.init_array` runs before `main`.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static PAGES: extern "C" fn() = engross::cli::pages_at_start;

fn main() -> std::process::ExitCode {
    engross::cli::main()
}
