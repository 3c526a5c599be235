//! The forms of the pages, by the `form` field each carries: one enum, so a handler's dispatch
//! and the name a page gives its form cannot drift apart by a typo (issue 23, item 6).

use serde::Deserialize;

/// A form of the web app, as its hidden `form` field names it (`snake_case`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum PageForm {
    /// A site's sign checked.
    Signage,
    /// A camera taken out of operation.
    Decommission,
    /// A camera's ONVIF service set or cleared.
    Onvif,
    /// A camera's stream credentials sealed to its node.
    Credentials,
    /// A check of the oldest footage a camera holds.
    FootageCheck,
    /// A site registered.
    Site,
    /// A camera registered.
    Camera,
    /// A dedicated PC registered.
    Workstation,
    /// A PC's one-time enrolment link issued.
    Enrol,
    /// A PC's custody checked.
    Custody,
    /// Something revoked (a PC, a node, a designation, a delegation).
    Revoke,
    /// A recorder node registered.
    Node,
    /// An entry to the central room.
    Enter,
    /// Leaving the central room.
    Leave,
    /// A contractor's contract recorded.
    Contract,
    /// A contract's checklist signed off.
    SignOff,
    /// An account created.
    Account,
    /// A role designated.
    Designation,
    /// An outsider's account activated.
    Activate,
    /// A locked account unlocked.
    Unlock,
    /// An account disabled.
    Disable,
    /// A retention hold placed.
    Hold,
    /// A hold released.
    Release,
    /// The month's reconciliation run.
    Run,
    /// Something closed (an incident, a complaint).
    Close,
    /// A lent PC's month of history submitted.
    History,
    /// A written delegation recorded.
    Delegation,
    /// A complaint recorded.
    Complaint,
    /// A complaint answered.
    Respond,
    /// A recorder's disposal recorded.
    Disposal,
    /// A disposal confirmed.
    Confirm,
    /// An organisation's retention period set.
    Retention,
    /// A camera put into operation.
    Commission,
    /// A new version of a camera's masks.
    Masks,
}

impl super::Plain {
    /// The form this post comes from; `None` for a name no page gives a form.
    pub(super) fn form(&self) -> Option<PageForm> {
        named(self.fields.get("form")?)
    }
}

/// The value of a unit enum whose wire name (its serde name) is `name`, such as an action in a
/// page's path (`approve`); `None` for a name it does not have.
pub(super) fn named<'de, T: Deserialize<'de>>(name: &'de str) -> Option<T> {
    use serde::de::value::{Error, StrDeserializer};
    T::deserialize(StrDeserializer::<Error>::new(name)).ok()
}

#[cfg(test)]
mod tests {
    use super::PageForm;

    #[test]
    fn a_form_is_known_by_its_name_and_only_by_it() {
        let plain = |name: &str| super::super::Plain {
            csrf: String::new(),
            fields: [("form".to_owned(), name.to_owned())].into(),
        };
        assert_eq!(plain("footage_check").form(), Some(PageForm::FootageCheck));
        assert_eq!(plain("sign_off").form(), Some(PageForm::SignOff));
        assert_eq!(plain("SignOff").form(), None);
        assert_eq!(plain("").form(), None);
        use policy::workflow::RequestAction;
        assert_eq!(super::named::<RequestAction>("withdraw"), Some(RequestAction::Withdraw));
        assert_eq!(super::named::<RequestAction>("delete"), None);
        // An instruction's actions in `/instructions/{id}/{action}` by policy's names only.
        use policy::workflow::InstructionAction;
        assert_eq!(super::named::<InstructionAction>("pass_on"), Some(InstructionAction::PassOn));
        assert_eq!(super::named::<InstructionAction>("extract"), Some(InstructionAction::Extract));
        assert_eq!(super::named::<InstructionAction>("relay"), None);
    }
}
