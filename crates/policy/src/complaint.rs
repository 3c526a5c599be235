//! Where a complaint stands (KIT-7: tracked to closure): the states the register is listed
//! by, decided here once for the API's filter and the web app's list.

/// A state a complaint can be listed by; a complaint is in one or two of them at once
/// (an overdue complaint is also open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplaintState {
    /// Not closed.
    Open,
    /// Not answered and not closed, past the day it was due.
    Overdue,
    /// Answered, not yet closed.
    Answered,
    /// Closed.
    Closed,
}

/// The facts of a complaint a state depends on (milliseconds since the epoch).
#[derive(Debug, Clone, Copy)]
pub struct ComplaintFacts {
    /// When it was answered, if it was.
    pub responded_ms: Option<i64>,
    /// When it was closed, if it was.
    pub closed_ms: Option<i64>,
    /// When the answer is due.
    pub due_ms: i64,
}

impl ComplaintState {
    /// Every state, in the order a list offers them.
    pub const ALL: [ComplaintState; 4] = [
        ComplaintState::Open,
        ComplaintState::Overdue,
        ComplaintState::Answered,
        ComplaintState::Closed,
    ];

    /// The state's key in the API and the message catalogues.
    pub fn key(self) -> &'static str {
        match self {
            ComplaintState::Open => "open",
            ComplaintState::Overdue => "overdue",
            ComplaintState::Answered => "answered",
            ComplaintState::Closed => "closed",
        }
    }

    /// The state a key names.
    pub fn parse(key: &str) -> Option<ComplaintState> {
        ComplaintState::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether a complaint with `facts` is in this state at `now_ms`.
    pub fn holds(self, facts: &ComplaintFacts, now_ms: i64) -> bool {
        let closed = facts.closed_ms.is_some();
        match self {
            ComplaintState::Open => !closed,
            ComplaintState::Overdue => {
                facts.responded_ms.is_none() && !closed && facts.due_ms < now_ms
            }
            ComplaintState::Answered => facts.responded_ms.is_some() && !closed,
            ComplaintState::Closed => closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for s in ComplaintState::ALL {
            assert_eq!(ComplaintState::parse(s.key()), Some(s));
        }
        assert_eq!(ComplaintState::parse("pending"), None);
    }

    #[test]
    fn an_unanswered_complaint_past_its_day_is_open_and_overdue() {
        // rule: KIT-7
        let f = ComplaintFacts { responded_ms: None, closed_ms: None, due_ms: 1_000 };
        let states: Vec<_> =
            ComplaintState::ALL.into_iter().filter(|s| s.holds(&f, 2_000)).collect();
        assert_eq!(states, [ComplaintState::Open, ComplaintState::Overdue]);
        // On its day it is not yet overdue.
        assert!(!ComplaintState::Overdue.holds(&f, 1_000));
    }

    #[test]
    fn answered_and_closed_complaints_are_never_overdue() {
        let answered = ComplaintFacts { responded_ms: Some(1_500), closed_ms: None, due_ms: 1_000 };
        assert!(ComplaintState::Answered.holds(&answered, 2_000));
        assert!(!ComplaintState::Overdue.holds(&answered, 2_000));
        let closed = ComplaintFacts { responded_ms: None, closed_ms: Some(1_500), due_ms: 1_000 };
        assert!(ComplaintState::Closed.holds(&closed, 2_000));
        assert!(!ComplaintState::Open.holds(&closed, 2_000));
        assert!(!ComplaintState::Overdue.holds(&closed, 2_000));
    }
}
