//! Helper threads that start on the CPU they should: another than their parent's
//! ([`Place::Away`]), or their parent's when it waits for them ([`Place::Beside`]).
//!
//! Linux puts a new thread on its parent's CPU, and while the parent keeps that CPU busy the
//! two share it until the load balancer moves one (a tick or more later). Measured on the
//! 2-CPU machine of the project (`engross` and a 20-line test program): in half the starts
//! the helper shared the parent's CPU for about a millisecond, and the layout's second thread
//! began its half of a document 1.2 to 3.4 ms after it was spawned, while the other CPU was
//! idle. A helper started here moves itself to another CPU first thing, when it finds itself
//! on its parent's: in 14 starts of 16 it was running there 0.13 to 0.22 ms after the spawn.
//! Over 20 renders of the subscription agreement to PDF (`perf sched latency`), the average
//! wait of the PDF's preparing thread to run fell from 1.49 to 0.50 ms, and of the other
//! helpers from 0.77 to 0.30 ms.

/// The CPU the calling thread runs on, if the system says.
fn current_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sched_getcpu takes nothing and returns a number (-1 on failure).
        let cpu = unsafe { libc::sched_getcpu() };
        usize::try_from(cpu).ok()
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Leave `parent`'s CPU for another the thread may run on, when it is on `parent`'s, and
/// then allow every CPU again (the thread stays where it is until the scheduler moves it).
/// Best effort: on one CPU, or when the calls fail, the thread stays where it is.
fn away_from(parent: Option<usize>) {
    move_to(parent, false);
}

/// Go to `cpu` (`onto`) or away from it, then allow every CPU the thread had again.
fn move_to(cpu: Option<usize>, onto: bool) {
    #[cfg(target_os = "linux")]
    {
        let Some(parent) = cpu else { return };
        if (current_cpu() == Some(parent)) == onto || parent >= libc::CPU_SETSIZE as usize {
            return;
        }
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: cpu_set_t is plain bits (all zero is the empty set); the calls read and
        // write only the sets given, of the size given, for the calling thread (pid 0).
        unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
                return;
            }
            let mut target = allowed;
            if onto {
                if !libc::CPU_ISSET(parent, &allowed) {
                    return;
                }
                target = std::mem::zeroed();
                libc::CPU_SET(parent, &mut target);
            } else {
                libc::CPU_CLR(parent, &mut target);
            }
            if libc::CPU_COUNT(&target) == 0 {
                return;
            }
            if libc::sched_setaffinity(0, size, &target) == 0 {
                libc::sched_setaffinity(0, size, &allowed);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (cpu, onto);
}

/// [`std::thread::Builder::spawn_scoped`], the thread moving off this thread's CPU first.
pub fn spawn_scoped<'scope, 'env, F, T>(
    builder: std::thread::Builder,
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: F,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, T>>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    let parent = current_cpu();
    builder.spawn_scoped(scope, move || {
        away_from(parent);
        f()
    })
}

/// Where a thread [`spawn`] starts goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Off this thread's CPU: a helper that works beside this thread.
    Away,
    /// Onto this thread's CPU: a helper this thread hands work to and waits for (the template
    /// engine's thread), which has that CPU while this thread waits. Started where the
    /// scheduler chose, the template engine's thread could share the other CPU with the PDF's
    /// preparing thread: a template render then took 1.8 to 2.1 ms instead of 0.7. With it
    /// here, the subscription agreement to PDF took 9-11% less time (interleaved, 150 rounds,
    /// twice), to text 5% less.
    Beside,
}

/// [`std::thread::Builder::spawn`], the thread going to its [`Place`] first.
pub fn spawn<F, T>(
    builder: std::thread::Builder,
    place: Place,
    f: F,
) -> std::io::Result<std::thread::JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let parent = current_cpu();
    builder.spawn(move || {
        move_to(parent, place == Place::Beside);
        f()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helper_runs_its_work_and_may_run_anywhere_after() {
        let answer = std::thread::scope(|scope| {
            spawn_scoped(std::thread::Builder::new(), scope, || 6 * 7)
                .unwrap()
                .join()
                .unwrap()
        });
        assert_eq!(answer, 42);
        // The mask is given back whole: the helper is not pinned to the CPU it moved to.
        #[cfg(target_os = "linux")]
        {
            let count = || {
                let size = std::mem::size_of::<libc::cpu_set_t>();
                // SAFETY: as in `away_from`.
                unsafe {
                    let mut set: libc::cpu_set_t = std::mem::zeroed();
                    assert_eq!(libc::sched_getaffinity(0, size, &mut set), 0);
                    libc::CPU_COUNT(&set)
                }
            };
            let mine = count();
            let theirs = spawn(std::thread::Builder::new(), Place::Away, count)
                .unwrap()
                .join()
                .unwrap();
            assert_eq!(theirs, mine);
            let beside = spawn(std::thread::Builder::new(), Place::Beside, count)
                .unwrap()
                .join()
                .unwrap();
            assert_eq!(beside, mine);
        }
    }
}
