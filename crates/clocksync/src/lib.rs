//! Whether this machine's clock is synchronised, and how well (issue 22, item 7; IEC 62676-1's
//! time synchronisation function): the state the kernel keeps for whatever disciplines the
//! clock — chrony, ntpd or systemd-timesyncd — read with `adjtimex(2)` in read-only mode. It
//! needs no privilege and no daemon's own interface, and it is what every time-stamping
//! program on the machine gets.
//!
//! Written by hand because no maintained crate wraps `adjtimex` (std, nix and rustix do not);
//! the one `unsafe` block is the call itself.

/// The clock's synchronisation as the kernel reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyncState {
    /// The kernel considers the clock synchronised to a time source (not `STA_UNSYNC`, not
    /// `TIME_ERROR`).
    pub synchronised: bool,
    /// The worst-case error of the clock, in milliseconds (the kernel's `maxerror`; 16 s means
    /// "unknown").
    pub max_error_ms: f64,
    /// The estimated error, in milliseconds (`esterror`).
    pub est_error_ms: f64,
    /// The offset the time daemon is still slewing away, in milliseconds.
    pub offset_ms: f64,
}

impl SyncState {
    /// Whether the clock can be trusted to `tolerance_ms`: synchronised, with a worst-case
    /// error within it.
    pub fn within(&self, tolerance_ms: f64) -> bool {
        self.synchronised
            && self.max_error_ms <= tolerance_ms
            && self.offset_ms.abs() <= tolerance_ms
    }
}

/// Reads the kernel's clock state; `None` where the system cannot say (not Linux, or the call
/// failed).
pub fn kernel() -> Option<SyncState> {
    #[cfg(target_os = "linux")]
    {
        linux::read()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::SyncState;

    #[allow(unsafe_code)]
    fn adjtimex_read() -> Option<(libc::c_int, libc::timex)> {
        // SAFETY: `timex` is a plain C struct of integers for which all-zero is a valid value;
        // `modes = 0` makes the call read-only (it changes nothing and needs no privilege); the
        // kernel writes only within the struct we pass by exclusive reference.
        unsafe {
            let mut t: libc::timex = std::mem::zeroed();
            let state = libc::adjtimex(&mut t);
            (state >= 0).then_some((state, t))
        }
    }

    pub(super) fn read() -> Option<SyncState> {
        let (state, t) = adjtimex_read()?;
        let offset_ms = if t.status & libc::STA_NANO != 0 {
            t.offset as f64 / 1e6
        } else {
            t.offset as f64 / 1e3
        };
        Some(SyncState {
            synchronised: state != libc::TIME_ERROR && t.status & libc::STA_UNSYNC == 0,
            max_error_ms: t.maxerror as f64 / 1e3,
            est_error_ms: t.esterror as f64 / 1e3,
            offset_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_answers_on_linux() {
        let s = kernel();
        #[cfg(target_os = "linux")]
        {
            let s = s.expect("adjtimex answers on Linux");
            // Whatever this machine's state: the kernel's bounds hold (maxerror ≤ 16 s).
            assert!(s.max_error_ms >= 0.0 && s.max_error_ms <= 16_000.0, "{s:?}");
            assert!(s.est_error_ms >= 0.0, "{s:?}");
            if !s.synchronised {
                assert!(!s.within(1000.0));
            }
        }
        let _ = s;
    }

    #[test]
    fn tolerance_needs_synchronisation_and_a_small_error() {
        let good =
            SyncState { synchronised: true, max_error_ms: 12.0, est_error_ms: 1.0, offset_ms: 0.3 };
        assert!(good.within(100.0));
        assert!(!good.within(10.0), "a worst-case error above the tolerance");
        assert!(!SyncState { synchronised: false, ..good }.within(100.0));
        assert!(!SyncState { offset_ms: -250.0, ..good }.within(100.0));
    }
}
