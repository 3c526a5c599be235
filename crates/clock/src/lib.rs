//! # clock — the one source of "now"
//!
//! Production reads the system clock. Tests and demos use a manual clock (frozen until set) or an
//! offset clock (runs in real time from an instant they choose), so that rules tied to night,
//! holidays, the year-end closure, JST midnight and retention deadlines can be exercised through
//! the same code paths as in production.

use jiff::{SignedDuration, Timestamp};
use std::sync::{Arc, Mutex};

/// Where "now" comes from.
#[derive(Clone, Debug)]
pub enum Clock {
    /// The system clock.
    System,
    /// A clock the owner sets; it does not advance by itself.
    Manual(Arc<Mutex<Timestamp>>),
    /// The system clock shifted by an offset the owner sets; it advances in real time.
    Offset(Arc<Mutex<SignedDuration>>),
}

impl Clock {
    /// A manual clock starting at `at`.
    pub fn manual(at: Timestamp) -> Self {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    /// A clock that reads `at` now and runs on in real time.
    pub fn offset(at: Timestamp) -> Self {
        Clock::Offset(Arc::new(Mutex::new(at.duration_since(Timestamp::now()))))
    }

    /// Now.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Manual(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
            Clock::Offset(d) => {
                let d = *d.lock().unwrap_or_else(|p| p.into_inner());
                Timestamp::now().checked_add(d).unwrap_or_else(|_| Timestamp::now())
            }
        }
    }

    /// Now, in UTC milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.now().as_millisecond()
    }

    /// Makes the clock read `at` now (a manual clock stays there; an offset clock runs on from
    /// it). No effect on the system clock.
    pub fn set(&self, at: Timestamp) {
        match self {
            Clock::System => {}
            Clock::Manual(t) => *t.lock().unwrap_or_else(|p| p.into_inner()) = at,
            Clock::Offset(d) => {
                *d.lock().unwrap_or_else(|p| p.into_inner()) = at.duration_since(Timestamp::now())
            }
        }
    }
}
