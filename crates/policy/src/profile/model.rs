//! The regulation-profile model: what a city's rules fix, as data.
//!
//! A profile is a TOML file (see `profiles/*.toml` for the five seed cities). Every section
//! cites the rule IDs of `SPEC.md` it encodes. Field names here are the TOML keys.

use crate::retention::{Counting, Period};
use crate::rule::RuleId;
use jiff::civil::Time;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A whole regulation profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Identity and provenance.
    pub profile: ProfileMeta,
    /// Closed days, office hours (SPEC.md §7).
    pub calendar: CalendarSettings,
    /// Recording rules: continuity, no live view, masks, remote viewing.
    pub recording: RecordingRules,
    /// Retention period, bounds and extensions (SPEC.md §2, §7).
    pub retention: RetentionSettings,
    /// Password rotation, lockout, confidentiality acknowledgement.
    pub accounts: AccountRules,
    /// The roles this city names, mapped onto mimamori's permissions (SPEC.md §3).
    pub roles: Vec<RoleDef>,
    /// The closed list of purposes a use of footage may record (KIT-2, NIS-3.2.2, KAW-2.2.5).
    pub purposes: Vec<Purpose>,
    /// Forms and documents the workflow refers to.
    pub forms: Vec<FormDef>,
    /// Legal bases for third-party viewing or provision, each with the documents it requires.
    pub bases: Vec<LegalBasis>,
    /// The ordinary footage workflow (SPEC.md §4).
    pub workflow: Workflow,
    /// The investigative agencies' emergency path, where the city has one (SPEC.md §5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<EmergencyPath>,
    /// Public reporting duty (KIT-8).
    pub report: ReportDuty,
    /// Complaint handling (KIT-7).
    pub complaints: ComplaintRules,
    /// The share of each picture that must be public space, where the city sets one (KAW-2.1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageRule>,
    /// Which organisations own cameras (issue 15): each governs only its own.
    #[serde(default)]
    pub ownership: Ownership,
    /// Where dedicated workstations may be placed, and for which organisations.
    #[serde(default)]
    pub workstations: Workstations,
    /// Disposal of media and recorders (ASA-3.3d, KIT-5.7).
    pub disposal: DisposalRule,
    /// Authorised viewing of recorded footage (issue 20: ASA-3.4a, KAW-2.2.2, KIT-5.5, NIS-7,
    /// SAK-M).
    pub viewing: ViewingRules,
    /// What a site's registration must carry (issue 18): a street site's prior review where
    /// the city requires one (SAK-M).
    #[serde(default)]
    pub sites: SiteRules,
    /// A locked room whose entries are recorded, where the city has one (KIT-5.5 集中管理室).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub central_room: Option<CentralRoom>,
    /// The conditions a recorder's site must meet, kept as a checklist per recorder node, where
    /// the city sets them (KIT-5.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorder_sites: Option<RecorderSites>,
    /// Recurring duties: monthly histories, access reviews, device passwords, signs, the
    /// yearly publication (issue 18 item 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duties: Vec<crate::duties::DutyDef>,
}

/// Who the profile is for and where its rules come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileMeta {
    /// Short lowercase identifier (`asahikawa`).
    pub id: String,
    /// Japanese name (`旭川市`).
    pub name_ja: String,
    /// English name (`Asahikawa`).
    pub name_en: String,
    /// Title of the source document.
    pub source_ja: String,
    /// File name of the seed document in `shared/seeds/`, for the five seed cities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// The source is a draft or minutes: to be checked against the enacted text before a city
    /// certifies the profile.
    #[serde(default)]
    pub draft_derived: bool,
    /// The rule-ID prefix of this city's own clauses (`ASA`).
    pub rule_prefix: String,
    /// Purpose of installation (設置目的), Japanese.
    pub purpose_ja: String,
    /// Purpose of installation, English.
    pub purpose_en: String,
    /// Governing law for personal information (KAW-2.2.7 rules document), Japanese.
    pub governing_law_ja: String,
    /// Governing law, English.
    pub governing_law_en: String,
    /// The clause that names the governing law, where the rules have one (KIT-1.2, KAW-3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governing_law_rule: Option<RuleId>,
}

/// A clock time of day written `HH:MM` in profile files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime(pub Time);

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute())
    }
}

impl Serialize for ClockTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("expected a time \"HH:MM\", got {s:?}"));
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: i8 = h.parse().map_err(|_| bad())?;
        let m: i8 = m.parse().map_err(|_| bad())?;
        Time::new(h, m, 0, 0).map(ClockTime).map_err(|_| bad())
    }
}

/// A day of the year written `MM-DD` in profile files (recurring every year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    /// 1–12.
    pub month: i8,
    /// 1–31 (29 February allowed).
    pub day: i8,
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl Serialize for MonthDay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("expected a day \"MM-DD\", got {s:?}"));
        let (m, dd) = s.split_once('-').ok_or_else(bad)?;
        if m.len() != 2 || dd.len() != 2 {
            return Err(bad());
        }
        let month: i8 = m.parse().map_err(|_| bad())?;
        let day: i8 = dd.parse().map_err(|_| bad())?;
        // 2024 is a leap year, so 02-29 is accepted as a recurring day.
        jiff::civil::Date::new(2024, month, day).map_err(|_| bad())?;
        Ok(MonthDay { month, day })
    }
}

/// Closed days and office hours (SPEC.md §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSettings {
    /// Start of office hours on an open day (inclusive).
    pub office_opens: ClockTime,
    /// End of office hours on an open day (exclusive).
    pub office_closes: ClockTime,
    /// Rule for the office hours (no seed states them: a `PROD-*` ID).
    pub office_hours_rule: RuleId,
    /// The year-end closure set by ordinance (e.g. 12-29 to 01-03), inclusive at both ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_end_closure: Option<YearEndClosure>,
    /// City holidays beyond the national ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_holidays: Vec<LocalHoliday>,
    /// Rule for what counts as a closed day.
    pub closed_days_rule: RuleId,
}

/// A closure range that may wrap over New Year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearEndClosure {
    /// First closed day.
    pub from: MonthDay,
    /// Last closed day (inclusive).
    pub to: MonthDay,
}

/// A recurring local holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalHoliday {
    /// The day, every year.
    pub date: MonthDay,
    /// Name in Japanese.
    pub name_ja: String,
    /// Name in English.
    pub name_en: String,
}

/// Recording rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingRules {
    /// Continuous 24 h recording; gaps recorded with their cause (ALL-REC-1).
    pub continuous_rule: RuleId,
    /// Whether a live view may exist. Always `false` (ALL-REC-2); the checker refuses `true`.
    pub live_view: bool,
    /// Rule forbidding live monitoring.
    pub live_view_rule: RuleId,
    /// Masks are burned into the recording where the camera cannot mask (ASA-2.1, PROD-MASK-1).
    pub masks_rule: RuleId,
    /// Viewing from outside the site (SAK-M: off by default).
    pub remote_viewing: bool,
    /// Where the camera itself holds the footage and a PC pulls it (NIS-2).
    #[serde(default)]
    pub camera_holds_footage: bool,
    /// How far (ms) the centre's and the recorders' clocks may be from true time — their
    /// synchronisation's worst-case error — before it is an incident of the audit trail
    /// (PROD-TIME-1; every frame's time and every deadline rest on them).
    #[serde(default = "default_clock_tolerance_ms")]
    pub clock_tolerance_ms: u32,
}

fn default_clock_tolerance_ms() -> u32 {
    1000
}

/// Authorised viewing of recorded footage (issue 20): who looks at what is recorded first, and
/// playback stays inside that record — never live (ALL-REC-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewingRules {
    /// The clause under which the designated people view footage (ASA-3.4a 管理責任者等は…閲覧,
    /// KIT-5.5, NIS-7, SAK-M 管理者等が閲覧).
    pub rule: RuleId,
    /// Playback ends at least this many minutes before now: what was just recorded is not
    /// shown (ALL-REC-2: no live monitoring).
    pub delay_minutes: u32,
    /// A viewing's playback session lasts this many minutes from its opening.
    pub session_minutes: u32,
    /// A still may be printed from a viewing (ASA-3.4a 「閲覧、印刷、複製できる」); every print
    /// carries the viewer, the viewing and the time, and is audited.
    #[serde(default)]
    pub print: bool,
    /// Roles whose judgement lets others be present at a viewing (ASA-3.4a 「管理責任者が特に
    /// 必要と認める場合には、管理責任者等以外の者を立ち合わせることが出来る」): with witnesses named,
    /// the viewing records why, and plays only once one of these roles has judged it (at once
    /// when the viewer holds one). Empty: witnesses are recorded as named.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnesses_judged_by: Vec<String>,
}

/// What a site's registration must carry (issue 18).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteRules {
    /// A site on a street (not at a public facility) is registered only with the record of a
    /// review by this body (SAK-M: 「今後、街頭…への設置が想定される…その際は、改めてこの協議会を
    /// 通じて検討」). None: no such review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_review: Option<StreetReview>,
    /// What a site's registration must record, each under the clause that asks for it
    /// (ASA-2.2 and KIT-4.1 the location, KIT-1 the system, NIS-4.1 the reason, the sign:
    /// ASA-3.2b, KIT-4.2, KAW-2.2.1, NIS-4.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<RequiredSiteField>,
}

/// A field a site's registration must fill, and the clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredSiteField {
    /// `address`, `coordinates`, `system`, `reason` or `signage_text`.
    pub field: String,
    /// The clause.
    pub rule: RuleId,
}

impl SiteRules {
    /// The fields a site's registration may be asked to fill.
    pub const FIELDS: [&'static str; 5] =
        ["address", "coordinates", "system", "reason", "signage_text"];
}

/// The room footage is worked in, entered only by named roles, persons the manager approved
/// and the maintenance contractor within its contract; every entry recorded (KIT-5.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentralRoom {
    /// The clause.
    pub rule: RuleId,
    /// Its name, Japanese (集中管理室).
    pub name_ja: String,
    /// Its name, English.
    pub name_en: String,
    /// Roles that enter on their own (管理責任者, 取扱責任者).
    pub enter: Vec<String>,
    /// Contractor roles that enter within their contract (保守業者が委託契約の範囲内で).
    #[serde(default)]
    pub contractor_roles: Vec<String>,
    /// Roles whose approval lets another person enter (その他管理責任者が認めた者): the
    /// approver records the entry.
    pub approvers: Vec<String>,
}

/// The conditions of a recorder's site, per kind of recorder (KIT-5.1: a network recorder in a
/// facility with seismic structure, UPS, air conditioning and strict security; a standalone one
/// in a heat-, water- and dust-proof place where third parties cannot easily send or alter
/// data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecorderSites {
    /// The clause.
    pub rule: RuleId,
    /// The kinds of recorder and the conditions of each.
    pub kinds: Vec<RecorderSiteKind>,
}

/// One kind of recorder and the conditions its site must meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecorderSiteKind {
    /// Key (`network`, `standalone`).
    pub id: String,
    /// Japanese.
    pub name_ja: String,
    /// English.
    pub name_en: String,
    /// The conditions, every one confirmed before the recorder is registered.
    pub conditions: Vec<SiteCondition>,
}

/// One condition of a recorder's site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteCondition {
    /// Key (`seismic`).
    pub id: String,
    /// Japanese, in the rules' words (耐震構造).
    pub name_ja: String,
    /// English.
    pub name_en: String,
}

/// The body that reviews a street site before it is installed, and the clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreetReview {
    /// The clause.
    pub rule: RuleId,
    /// The reviewing body, Japanese (佐久市生活安全推進協議会).
    pub body_ja: String,
    /// The reviewing body, English.
    pub body_en: String,
}

/// Retention settings (SPEC.md §2 and §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Clause that sets the period.
    pub rule: RuleId,
    /// How the first day is counted.
    pub counting: Counting,
    /// The period used when a camera sets none.
    pub default: PeriodSpec,
    /// The shortest allowed setting.
    pub floor: BoundSpec,
    /// The longest allowed setting.
    pub ceiling: BoundSpec,
    /// Extensions and legal holds.
    pub extension: ExtensionRule,
}

/// A period written `{ days = N }` or `{ months = N }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodSpec {
    /// Length in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Length in months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u32>,
}

impl PeriodSpec {
    /// The period, when exactly one of `days`/`months` is set and positive.
    pub fn period(&self) -> Option<Period> {
        match (self.days, self.months) {
            (Some(d), None) if d > 0 => Some(Period::Days(d)),
            (None, Some(m)) if m > 0 => Some(Period::Months(m)),
            _ => None,
        }
    }
}

/// A floor or ceiling: a period and the rule that sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundSpec {
    /// Length in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Length in months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u32>,
    /// The rule a setting outside this bound breaks.
    pub rule: RuleId,
}

impl BoundSpec {
    /// The period, when exactly one of `days`/`months` is set and positive.
    pub fn period(&self) -> Option<Period> {
        PeriodSpec { days: self.days, months: self.months }.period()
    }
}

/// Whether and how footage may be kept past its period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRule {
    /// Extensions/holds exist only where a seed grants them (KIT-5.6, KAW-2.2.6イ).
    pub allowed: bool,
    /// The rule that grants them or, where not allowed, the rule that says what to do instead.
    pub rule: RuleId,
    /// Roles that may place one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<String>,
    /// What the holder must record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<HoldJustification>,
    /// Whether a hold may keep footage past the retention ceiling.
    #[serde(default)]
    pub may_exceed_ceiling: bool,
}

/// What a hold must carry besides who and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldJustification {
    /// A written reason (KIT-5.6).
    Reason,
    /// The reference of a legal-procedure inquiry (court warrant, 照会書) and a reason
    /// (KAW-2.2.6イ).
    LegalInquiry,
}

/// Account rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountRules {
    /// Passwords must be changed after this many days.
    pub password_rotation_days: u32,
    /// Rule requiring rotation (ASA-3.2c, NIS-3.3.1).
    pub password_rotation_rule: RuleId,
    /// A new password may not be any of the account's last this many passwords (the current
    /// one included), so a rotation is a change and not A→B→A (ASVS 4.0 V2.1; the rotation rule
    /// above is the one cited). Default 5.
    #[serde(default = "password_history")]
    pub password_history: u32,
    /// Failed logins before the account locks.
    pub lockout_after_failures: u32,
    /// Rule for the lockout (a product rule).
    pub lockout_rule: RuleId,
    /// Confidentiality duty acknowledged at first login, Japanese.
    pub confidentiality_ja: String,
    /// Confidentiality duty, English.
    pub confidentiality_en: String,
    /// Rules behind the confidentiality duty.
    pub confidentiality_rules: Vec<RuleId>,
    /// The rule that gates contractor staff on a contract whose clause checklist the manager
    /// signed off (ASA-3.7; elsewhere a product rule).
    #[serde(default = "contractor_gate_rule")]
    pub contractor_gate_rule: RuleId,
}

fn password_history() -> u32 {
    5
}

fn contractor_gate_rule() -> RuleId {
    RuleId::new("PROD-CONTRACTOR-2")
}

/// What kind of organisation a role's holders belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// A city section.
    City,
    /// A business under contract (system management, O&M).
    Contractor,
    /// A police station.
    Police,
    /// An investigative agency other than police (prosecutors, courts…).
    Agency,
    /// A community group installing cameras (KAW).
    Community,
    /// A public facility (SAK).
    Facility,
}

// The stored names, as in profile files.
crate::stored_names!(OrgKind, "organisation kind", {
    City => "city",
    Contractor => "contractor",
    Police => "police",
    Agency => "agency",
    Community => "community",
    Facility => "facility",
});

impl OrgKind {
    /// Whether organisations of this kind investigate crimes — police, or another
    /// investigative agency — and so may hold a written delegation for emergency
    /// extraction (NIS-10.2).
    pub fn investigates(self) -> bool {
        matches!(self, OrgKind::Police | OrgKind::Agency)
    }
}

macro_rules! permissions {
    ($($(#[doc = $doc:literal])* $variant:ident = $key:literal,)*) => {
        /// One of mimamori's permissions. Roles map onto these; endpoints check them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Permission {
            $($(#[doc = $doc])* #[serde(rename = $key)] $variant,)*
        }

        impl Permission {
            /// Every permission, in declaration order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The key used in profile files and the API (`footage.extract`).
            pub fn key(self) -> &'static str {
                match self {
                    $(Permission::$variant => $key,)*
                }
            }
        }
    };
}

permissions! {
    /// Create and disable accounts of the city's own organisation.
    AccountsAdminister = "accounts.administer",
    /// Designate holders of roles (ASA-3.1, KIT-3, NIS-7.2(4)).
    RolesDesignate = "roles.designate",
    /// File a request for footage (申請書, 照会書, form 2).
    RequestSubmit = "request.submit",
    /// Relay a request to the deciding manager (SAK-M: the city relays police requests).
    RequestRelay = "request.relay",
    /// Approve or refuse a request.
    RequestReview = "request.review",
    /// Issue an extraction instruction (first link of the chain).
    InstructionIssue = "instruction.issue",
    /// Pass an instruction on to the extracting role (NIS-9.2).
    InstructionRelay = "instruction.relay",
    /// Extract footage under a live instruction naming the user.
    FootageExtract = "footage.extract",
    /// View footage for management purposes (ASA-3.4a), recorded.
    FootageView = "footage.view",
    /// Receive the extractor's report (NIS-9.3).
    ExtractionReceiveReport = "extraction.receive_report",
    /// Write usage-ledger entries.
    LedgerWrite = "ledger.write",
    /// Read the usage ledger.
    LedgerRead = "ledger.read",
    /// Judge urgency and order an emergency extraction (ASA-3.5b, NIS-11.1).
    EmergencyOrder = "emergency.order",
    /// Carry out an emergency extraction.
    EmergencyExtract = "emergency.extract",
    /// File the post-hoc request for an emergency extraction.
    EmergencyFile = "emergency.file",
    /// Grant or revoke a written delegation to an agency (NIS-10.2).
    DelegationManage = "delegation.manage",
    /// Submit the monthly extraction history of a lent PC (ASA-3.5c, NIS-11.3).
    ReconciliationSubmit = "reconciliation.submit",
    /// Run the monthly reconciliation and close its incidents.
    ReconciliationReview = "reconciliation.review",
    /// Place and release retention extensions or holds.
    HoldManage = "hold.manage",
    /// Set one's own organisation's retention period within the profile's bounds (SAK-9: each
    /// facility sets its own).
    RetentionSet = "retention.set",
    /// Operate recorders within a contract scope (KIT-5.2); never export footage.
    RecorderOperate = "recorder.operate",
    /// Maintain the site and camera registry.
    RegistryManage = "registry.manage",
    /// Change privacy masks (PROD-MASK-1: the manager only).
    MaskManage = "mask.manage",
    /// Register, check and revoke dedicated workstations.
    WorkstationManage = "workstation.manage",
    /// Record contracts and sign off their clause checklist (ASA-3.7).
    ContractManage = "contract.manage",
    /// Read the audit log.
    AuditRead = "audit.read",
    /// Produce and publish the public report (KIT-8).
    ReportPublish = "report.publish",
    /// Handle complaints (KIT-7).
    ComplaintHandle = "complaint.handle",
    /// Confirm disposal of media or a recorder (KIT-5.7, ASA-3.3d).
    DisposalConfirm = "disposal.confirm",
}

impl Permission {
    /// Permissions that move footage out of the system. A contractor role may hold none of them
    /// (PROD-CONTRACTOR-1).
    pub fn exports_footage(self) -> bool {
        matches!(self, Permission::FootageExtract | Permission::EmergencyExtract)
    }
}

/// A role the city names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    /// Stable key (`manager`, `handling_officer`…), lowercase with underscores.
    pub id: String,
    /// The city's own name for it (`防犯カメラシステム管理責任者`).
    pub name_ja: String,
    /// English name.
    pub name_en: String,
    /// Organisation kinds its holders may belong to.
    pub organisations: Vec<OrgKind>,
    /// The post that holds it by office, where the rules fix one (KIT-3, NIS-7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_ja: Option<String>,
    /// Roles that may designate holders of this role. Empty: set up by the administrator (a post
    /// held by office).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub designated_by: Vec<String>,
    /// A designation lasts at most this many days (KIT-3 temporary operator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_term_days: Option<u32>,
    /// The rule that fixes `max_term_days` where the seed names no number (KIT-3.2 臨時:
    /// PROD-TERM-1); the role's `rule` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_rule: Option<RuleId>,
    /// A designation to this role rests on a document of this form (`[[forms]]` id), whose
    /// reference it records: NIS-10.3's 届出 of the agency staff's names and affiliations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub designation_document: Option<String>,
    /// What the role may do.
    pub permissions: Vec<Permission>,
    /// The clause that creates the role.
    pub rule: RuleId,
}

/// A purpose on the closed list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    /// Key.
    pub id: String,
    /// Japanese.
    pub name_ja: String,
    /// English.
    pub name_en: String,
    /// Clause.
    pub rule: RuleId,
}

/// A form or document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDef {
    /// Key.
    pub id: String,
    /// Japanese title as the rules name it.
    pub name_ja: String,
    /// English title.
    pub name_en: String,
    /// Issued with a serial number (e.g. the 承認書).
    #[serde(default)]
    pub numbered: bool,
    /// The city's own form (a 様式 of its rules), which mimamori prints for the person who files
    /// it to complete and sign. Otherwise a document of another body (a police 捜査関係事項照会書,
    /// a warrant) whose reference mimamori records and never prints as if it were the city's.
    #[serde(default)]
    pub printed: bool,
    /// Whom the printed form is addressed to, as the rules name the office
    /// (`大阪市西淀川区長（管理責任者）`); printed top left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addressed_to: Option<String>,
    /// The undertaking printed above the signature, in the rules' own words (NIS-11.1 「記載の利用
    /// 目的以外に使用しない誓約」); none: the form carries none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pledge: Option<String>,
    /// The office that issues the form, printed with the signer's name (the 承認書: the
    /// 管理責任者).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// A numbered form's 文書番号 in the city's style: `{n}` the serial number of the fiscal year,
    /// `{fy}` the fiscal year in the Japanese era (`旭交防第{n}号`). None: `{fiscal year}-{n:04}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_format: Option<String>,
    /// The conditions printed on the form, in the rules' own words (ASA-3.4c 「画像の提供を受けた
    /// 者は、関連法令に基づき、画像を適切に管理する責任を負います」).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<String>,
    /// Clause.
    pub rule: RuleId,
}

impl FormDef {
    /// The 文書番号 of the `n`th form of fiscal year `fiscal_year` (April to March), in the
    /// profile's format.
    pub fn document_number(&self, fiscal_year: i16, n: i64) -> String {
        match &self.number_format {
            None => format!("{fiscal_year}-{n:04}"),
            Some(f) => {
                // 令和 began on 1 May 2019; fiscal years from 2019 count in it.
                let era = i64::from(fiscal_year) - 2018;
                let fy = if era == 1 { "元".to_owned() } else { era.to_string() };
                f.replace("{fy}", &fy).replace("{n}", &n.to_string())
            }
        }
    }
}

/// A legal basis for third-party viewing or provision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    /// Key.
    pub id: String,
    /// Japanese.
    pub name_ja: String,
    /// English.
    pub name_en: String,
    /// Documents (form ids) the requester must supply, all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<String>,
    /// Documents of which the requester must supply at least one (KAW-2.2.5イ warrant or
    /// inquiry; NIS-10.1 照会書 or form 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents_any_of: Vec<String>,
    /// Whether the deciding role must review and permit it (KIT-6.2: basis (1) yes).
    #[serde(default = "yes")]
    pub review: bool,
    /// Clause.
    pub rule: RuleId,
}

fn yes() -> bool {
    true
}

/// The ordinary footage workflow: request → decision → instruction chain → extraction → ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// Clause that sets the workflow.
    pub rule: RuleId,
    /// Roles that may file a request.
    pub requested_by: Vec<String>,
    /// Roles that relay a request to the decider (SAK-M), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relayed_by: Vec<String>,
    /// The application form every request uses, if the city has one (ASA 申請書).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_form: Option<String>,
    /// Roles that approve or refuse.
    pub reviewed_by: Vec<String>,
    /// The certificate issued on approval (ASA 承認書), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_form: Option<String>,
    /// A refusal must record its reason (PROD-REFUSE-1).
    pub refusal_reason_required: bool,
    /// The instruction chain: the first step issues, each next step receives; the last step
    /// extracts (ASA-3.4c, NIS-9, KIT-6.2).
    pub chain: Vec<ChainStep>,
    /// Role the extractor reports to (NIS-9.3), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_to: Option<String>,
    /// The ledger form (画像利用簿, 画像管理台帳 form 1, KIT-6.3 record).
    pub ledger_form: String,
    /// Roles that write the ledger entry.
    pub ledger_written_by: Vec<String>,
    /// Use on the manager's own judgement without a request, through the same chain (NIS-9.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_use_rule: Option<RuleId>,
    /// Extraction only from a registered dedicated workstation.
    pub workstation_required: bool,
    /// The clause that governs the dedicated workstations (NIS-3.3.2: a lost one is revoked and
    /// no longer used); absent, the product rule PROD-WS-1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workstation_rule: Option<RuleId>,
    /// Witnesses may be present at viewing, recorded (ASA-3.4a).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness_rule: Option<RuleId>,
}

/// One link of the instruction chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainStep {
    /// Roles that may act at this step.
    pub roles: Vec<String>,
    /// Clause.
    pub rule: RuleId,
}

/// Which instants the emergency path is open at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// A closed list (ASA-3.5b 早朝・夜間・休日・祝日・週休日): outside it the path is refused.
    ClosedList,
    /// An open list (NIS-11.1 夜間、休日など): outside it only with a written reason.
    OpenList,
}

/// What happens to an emergency order outside the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutsideWindow {
    /// Refused.
    Refuse,
    /// Allowed only with a mandatory written reason, flagged to the manager.
    AllowWithReason,
}

/// An investigative agency's emergency path (SPEC.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyPath {
    /// Clause.
    pub rule: RuleId,
    /// Closed or open list of occasions.
    pub window: WindowKind,
    /// Outside the window.
    pub outside_window: OutsideWindow,
    /// Roles that judge urgency and order.
    pub ordered_by: Vec<String>,
    /// Roles that extract.
    pub executed_by: Vec<String>,
    /// A written delegation must be in force first (NIS-10.2), with its clause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegation_rule: Option<RuleId>,
    /// Outside an open window (`outside_window = "allow_with_reason"`): the roles the order is
    /// flagged to, who review it and record that they did (NIS: the 管理責任者).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flagged_to: Vec<String>,
    /// The rule for orders outside an open window: the written reason and the review (a product
    /// reading of 「夜間、休日など」, PROD-EMERG-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside_rule: Option<RuleId>,
    /// The purposes the path serves (ids of `[[purposes]]`); empty: every purpose of the
    /// profile. ASA-3.5b: only an urgent criminal investigation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purposes: Vec<String>,
    /// The post-hoc filing.
    pub filing: EmergencyFiling,
    /// The monthly reconciliation.
    pub reconciliation: Reconciliation,
}

/// The filing that must follow an emergency extraction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyFiling {
    /// Forms any one of which satisfies the filing.
    pub forms: Vec<String>,
    /// Roles that file.
    pub by: Vec<String>,
    /// Due by the end of this many office days after the extraction day (遅滞なく, SPEC.md §7).
    /// Missing: the checker reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_office_days: Option<u32>,
    /// Rule for the deadline.
    pub deadline_rule: RuleId,
    /// On receipt, these roles write the ledger entry (NIS-11.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ledger_written_by: Vec<String>,
    /// The ledger writer reports to this role (NIS-11.2 applies NIS-9.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_to: Option<String>,
    /// The clause that has the ledger writer enter it on receipt (NIS-11.2); the filing's
    /// `rule` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_rule: Option<RuleId>,
    /// Clause.
    pub rule: RuleId,
}

/// Monthly reconciliation of a lent PC's history (ASA-3.5c, NIS-11.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reconciliation {
    /// Roles that submit the month's history.
    pub submitted_by: Vec<String>,
    /// Roles that check it and close incidents.
    pub reviewed_by: Vec<String>,
    /// Clause.
    pub rule: RuleId,
}

/// Public reporting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportDuty {
    /// A yearly public report is required (KIT-8).
    pub yearly_required: bool,
    /// Clause that requires it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleId>,
    /// Counts below this are shown as "< N" so no person can be singled out.
    pub suppress_below: u32,
    /// Rule for the suppression (a product rule).
    pub suppression_rule: RuleId,
}

/// Complaint handling (KIT-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintRules {
    /// A complaint is answered within this many days, then escalated.
    pub respond_within_days: u32,
    /// Clause.
    pub rule: RuleId,
    /// The rule that fixes the number of days where the seed states none (KIT-7 「迅速かつ誠実
    /// に」: PROD-COMPLAINT-1); `rule` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_rule: Option<RuleId>,
}

impl ComplaintRules {
    /// The rule a deadline, an overdue complaint or its escalation cites.
    pub fn deadline_rule(&self) -> &RuleId {
        self.deadline_rule.as_ref().unwrap_or(&self.rule)
    }
}

/// Who owns cameras. Each site (and its cameras) belongs to one organisation of these kinds;
/// its roles act only on its own cameras and the records that concern them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ownership {
    /// The clause that makes each owner responsible for its own cameras.
    pub rule: RuleId,
    /// The kinds of organisation that own cameras.
    pub owners: Vec<OrgKind>,
}

impl Default for Ownership {
    fn default() -> Self {
        // One city section owns every camera (ASA, KIT, NIS): PROD-OWN-1 states the reading.
        Ownership { rule: RuleId::new("PROD-OWN-1"), owners: vec![OrgKind::City] }
    }
}

/// Where a city's dedicated workstations stand (ASA-3.2e, KIT-5.5, NIS-8, NIS-10.4, SAK-M):
/// each placement, and the kinds of organisation whose PC it may be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workstations {
    /// The clause that places them.
    pub rule: RuleId,
    /// The placements of this profile.
    pub placements: Vec<Placement>,
    /// The clause that has each PC (and its media) kept in a recorded secure place (ASA-3.2f
    /// 施錠できる保管庫, NIS-3.3.2, KAW-2.2.6エ); none: the place is still recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_rule: Option<RuleId>,
}

/// One place a dedicated workstation may stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// Id (`section`, `central_room`, `police`, `agency`, `facility`).
    pub id: String,
    /// The kinds of organisation whose PC may stand there.
    pub kinds: Vec<OrgKind>,
}

impl Default for Workstations {
    fn default() -> Self {
        // No seed places the PCs: PROD-WS-2 states the reading — the city's at the section or
        // the central room, an investigative agency's at the agency, a facility's at the
        // facility, a community group's at the section.
        let p = |id: &str, kinds: &[OrgKind]| Placement { id: id.into(), kinds: kinds.to_vec() };
        Workstations {
            rule: RuleId::new("PROD-WS-2"),
            placements: vec![
                p("section", &[OrgKind::City, OrgKind::Community]),
                p("central_room", &[OrgKind::City]),
                p("police", &[OrgKind::Police, OrgKind::Agency]),
                p("agency", &[OrgKind::Police, OrgKind::Agency]),
                p("facility", &[OrgKind::Facility]),
            ],
            storage_rule: None,
        }
    }
}

/// The coverage rule (KAW-2.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageRule {
    /// Minimum public share of the picture, as `[numerator, denominator]`.
    pub min_public_share: [u32; 2],
    /// Minimum with a recorded exemption reason (building shapes).
    pub exemption_min_public_share: [u32; 2],
    /// Years a camera must be operated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_operation_years: Option<u32>,
    /// Local consensus and the owner's permission must be recorded.
    pub consensus_required: bool,
    /// Clause.
    pub rule: RuleId,
}

/// Disposal of media and recorders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisposalRule {
    /// Distinct people who must confirm the erasure.
    pub min_confirmers: u32,
    /// Roles one of whose holders must be among them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_roles: Vec<String>,
    /// Clauses.
    pub rules: Vec<RuleId>,
}

#[cfg(test)]
mod org_kind_tests {
    #[test]
    fn org_kind_names_are_the_profile_files_names() {
        for k in super::OrgKind::ALL {
            let json = serde_json::to_value(k).unwrap_or_default();
            assert_eq!(json, k.as_str());
            assert_eq!(super::OrgKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(super::OrgKind::parse("City"), None);
    }
}

#[cfg(test)]
mod org_kind_name_tests {
    #![allow(clippy::unwrap_used)]
    use super::OrgKind;

    #[test]
    fn stored_kinds_round_trip_and_unknown_ones_are_refused() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::try_from(k.as_str().to_owned()), Ok(k));
        }
        let e = OrgKind::try_from("ward".to_owned()).unwrap_err();
        assert_eq!(e.to_string(), "unknown organisation kind \"ward\"");
    }

    #[test]
    fn only_police_and_agencies_may_hold_a_delegation() {
        // rule: NIS-10.2
        let investigating: Vec<_> = OrgKind::ALL.into_iter().filter(|k| k.investigates()).collect();
        assert_eq!(investigating, [OrgKind::Police, OrgKind::Agency]);
    }
}
