//! Requests, instructions, extractions and the usage ledger.
//!
//! State changes are conditional updates (`… WHERE state = $expected`): of two managers approving
//! the same request at once exactly one changes a row; the other gets [`StoreError::Conflict`].

use crate::{At, Db, Result, StoreError};
use policy::workflow::RequestState;
use serde::Serialize;

/// A request for footage (or an internal use, NIS-9.1).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Request {
    /// Id.
    pub id: i64,
    /// Number shown on forms.
    pub number: String,
    /// A request, or the keeper's own use (an unknown stored name is a decoding error).
    #[sqlx(try_from = "String")]
    pub kind: policy::workflow::RequestKind,
    /// Legal basis id.
    pub basis: String,
    /// Purpose id.
    pub purpose: String,
    /// Who filed it.
    pub requester_id: Option<i64>,
    /// In which role.
    pub requester_role: String,
    /// Who receives the footage.
    pub recipient: String,
    /// The case, as the requester states it (personal data: reads are audited).
    pub case_summary: String,
    /// Documents supplied, JSON `[{"form":…, "reference":…}]`.
    pub documents: String,
    /// Camera codes, JSON list.
    pub cameras: String,
    /// Range start (UTC ms, inclusive).
    pub range_from: At,
    /// Range end (UTC ms, exclusive).
    pub range_to: At,
    /// Where it stands (an unknown stored name is a decoding error).
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    /// Filed at.
    pub created_at: At,
    /// Relayed by (SAK-M).
    pub relayed_by: Option<i64>,
    /// Relayed at.
    pub relayed_at: Option<At>,
    /// Decided by.
    pub decided_by: Option<i64>,
    /// Decided at.
    pub decided_at: Option<At>,
    /// Reason (required for a refusal).
    pub decision_reason: Option<String>,
    /// Certificate number (ASA 承認書).
    pub certificate_number: Option<String>,
    /// The emergency order this request files for, if any.
    pub emergency_order_id: Option<i64>,
    /// The organisation that owns its cameras and decides on it (issue 15).
    pub owner_org_id: Option<i64>,
}

/// A new request.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    /// Number.
    pub number: &'a str,
    /// A request, or the keeper's own use.
    pub kind: policy::workflow::RequestKind,
    /// Basis.
    pub basis: &'a str,
    /// Purpose.
    pub purpose: &'a str,
    /// Requester.
    pub requester_id: Option<i64>,
    /// Role.
    pub requester_role: &'a str,
    /// Recipient.
    pub recipient: &'a str,
    /// Case.
    pub case_summary: &'a str,
    /// Documents JSON.
    pub documents: &'a str,
    /// Cameras JSON.
    pub cameras: &'a str,
    /// From.
    pub range_from: At,
    /// To.
    pub range_to: At,
    /// Initial state.
    pub state: RequestState,
    /// The owner of its cameras.
    pub owner_org_id: Option<i64>,
}

/// Where an instruction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstructionState {
    /// Issued, not yet passed on or executed.
    Open,
    /// Passed on down the chain (a new instruction carries it).
    Passed,
    /// Carried out: the footage was extracted.
    Executed,
    /// Cancelled before it was carried out.
    Cancelled,
}

policy::stored_names!(InstructionState, "instruction state", {
    Open => "open",
    Passed => "passed",
    Executed => "executed",
    Cancelled => "cancelled",
});

/// One link of an instruction chain.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Instruction {
    /// Id.
    pub id: i64,
    /// The request.
    pub request_id: i64,
    /// Chain step of the addressee (1 = second link…).
    pub step: i64,
    /// The instruction it passes on.
    pub parent_id: Option<i64>,
    /// Issuer.
    pub issued_by: i64,
    /// Issuer's role.
    pub issued_role: String,
    /// Addressee.
    pub issued_to: i64,
    /// Cameras, JSON.
    pub cameras: String,
    /// From.
    pub range_from: At,
    /// To.
    pub range_to: At,
    /// Note.
    pub note: String,
    /// Issued at.
    pub issued_at: At,
    /// Where it stands (an unknown stored name is a decoding error).
    #[sqlx(try_from = "String")]
    pub state: InstructionState,
}

/// An extraction of footage.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Extraction {
    /// Id.
    pub id: i64,
    /// Request.
    pub request_id: Option<i64>,
    /// Instruction.
    pub instruction_id: Option<i64>,
    /// Emergency order.
    pub emergency_order_id: Option<i64>,
    /// Operator.
    pub operator_id: i64,
    /// Operator's role.
    pub operator_role: String,
    /// Workstation.
    pub workstation_id: i64,
    /// Cameras, JSON.
    pub cameras: String,
    /// From.
    pub range_from: At,
    /// To.
    pub range_to: At,
    /// When.
    pub extracted_at: At,
    /// Evidence package id (evidence issue).
    pub package_id: Option<String>,
    /// Manifest hash.
    pub manifest_hash: Option<String>,
    /// Reported to (NIS-9.3).
    pub reported_to: Option<i64>,
    /// Reported at.
    pub reported_at: Option<At>,
}

/// A new extraction.
#[derive(Debug, Clone)]
pub struct NewExtraction<'a> {
    /// Request.
    pub request_id: Option<i64>,
    /// Instruction.
    pub instruction_id: Option<i64>,
    /// Emergency order.
    pub emergency_order_id: Option<i64>,
    /// Operator.
    pub operator_id: i64,
    /// Role.
    pub operator_role: &'a str,
    /// Workstation.
    pub workstation_id: i64,
    /// Cameras JSON.
    pub cameras: &'a str,
    /// From.
    pub range_from: At,
    /// To.
    pub range_to: At,
    /// Package id.
    pub package_id: Option<&'a str>,
    /// Manifest hash.
    pub manifest_hash: Option<&'a str>,
}

/// A usage-ledger entry with the LEDGER-1 fields.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct LedgerEntry {
    /// Id.
    pub id: i64,
    /// Form id (usage_ledger, form1, provision_record).
    pub form: String,
    /// Request.
    pub request_id: Option<i64>,
    /// Emergency order.
    pub emergency_order_id: Option<i64>,
    /// Extraction.
    pub extraction_id: i64,
    /// Instruction id.
    pub instruction_id: Option<i64>,
    /// Instruction issuer.
    pub instruction_issuer: Option<i64>,
    /// Operator.
    pub operator_id: i64,
    /// Cameras JSON.
    pub cameras: String,
    /// From.
    pub range_from: At,
    /// To.
    pub range_to: At,
    /// Extraction time.
    pub extracted_at: At,
    /// Workstation.
    pub workstation_id: i64,
    /// Request / 照会書 reference.
    pub request_ref: String,
    /// Basis.
    pub basis: String,
    /// Purpose.
    pub purpose: String,
    /// Recipient.
    pub recipient: String,
    /// Handover date (YYYY-MM-DD).
    pub handover_date: Option<String>,
    /// Data handed over (hashes), JSON.
    pub data_hashes: String,
    /// Written by.
    pub written_by: i64,
    /// Writer's role.
    pub written_role: String,
    /// Written at.
    pub written_at: At,
}

macro_rules! req_cols {
    () => {
        "id, number, kind, basis, purpose, requester_id, requester_role, recipient, case_summary, documents, cameras, \
    range_from, range_to, state, created_at, relayed_by, relayed_at, decided_by, decided_at, decision_reason, certificate_number, \
    emergency_order_id, owner_org_id"
    };
}
macro_rules! ins_cols {
    () => {
        "id, request_id, step, parent_id, issued_by, issued_role, issued_to, cameras, range_from, range_to, note, issued_at, state"
    };
}
macro_rules! ext_cols {
    () => {
        "id, request_id, instruction_id, emergency_order_id, operator_id, operator_role, workstation_id, cameras, \
    range_from, range_to, extracted_at, package_id, manifest_hash, reported_to, reported_at"
    };
}
/// Whose usage-ledger entries a reader sees (issue 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerScope {
    /// Every entry (a city office over every owner).
    All,
    /// Entries about the cameras of this owner organisation.
    Owner(i64),
    /// Entries this organisation's people took part in: extracted, wrote or requested (police,
    /// agencies: their own emergency extractions and requests).
    MadeBy(i64),
}

/// A page of the usage ledger: whose entries, narrowed by text, camera and extraction date.
#[derive(Debug, Clone)]
pub struct LedgerQuery {
    /// Whose entries.
    pub scope: LedgerScope,
    /// Text in the recipient, the request's reference or the purpose.
    pub text: Option<String>,
    /// Entries naming this camera.
    pub camera: Option<String>,
    /// Extracted at or after this instant (UTC ms).
    pub from_ms: Option<i64>,
    /// Extracted before this instant (UTC ms).
    pub to_ms: Option<i64>,
    /// The cursor: entries older than this id.
    pub before: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

macro_rules! ledger_cols {
    () => {
        "id, form, request_id, emergency_order_id, extraction_id, instruction_id, instruction_issuer, operator_id, \
    cameras, range_from, range_to, extracted_at, workstation_id, request_ref, basis, purpose, recipient, handover_date, data_hashes, \
    written_by, written_role, written_at"
    };
}

fn stale(what: &str, id: i64, expected: &str) -> StoreError {
    StoreError::changed(format!(
        "{what} {id} is no longer {expected}: someone else acted on it first"
    ))
}

impl Db {
    /// Files a request.
    pub async fn create_request(&self, r: &NewRequest<'_>, now: i64) -> Result<Request> {
        sqlx::query_as(concat!("INSERT INTO requests (number, kind, basis, purpose, requester_id, requester_role, recipient, case_summary, documents, \
             cameras, range_from, range_to, state, created_at, owner_org_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             RETURNING ", req_cols!()))
        .bind(r.number)
        .bind(r.kind.as_str())
        .bind(r.basis)
        .bind(r.purpose)
        .bind(r.requester_id)
        .bind(r.requester_role)
        .bind(r.recipient)
        .bind(r.case_summary)
        .bind(r.documents)
        .bind(r.cameras)
        .bind(r.range_from)
        .bind(r.range_to)
        .bind(r.state.as_str())
        .bind(now)
        .bind(r.owner_org_id)
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(|e| StoreError::from_write(e, "exists_request", "a request with that number"))
    }

    /// A request by id.
    pub async fn request(&self, id: i64) -> Result<Option<Request>> {
        Ok(sqlx::query_as(concat!("SELECT ", req_cols!(), " FROM requests WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// A page of requests (the visibility rule, filters and cursor evaluated in SQL).
    pub async fn requests_page(&self, q: &RequestQuery) -> Result<Vec<Request>> {
        let states = q.states.join(",");
        let text = q.text.as_deref().map(contains_pattern).unwrap_or_default();
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            req_cols!(),
            " FROM requests r WHERE \
             (($1 = 1 AND ($7 = 0 OR r.owner_org_id = $7)) OR r.requester_id = $2 OR EXISTS (SELECT 1 FROM instructions i WHERE i.request_id = r.id AND i.issued_to = $2)) \
             AND ($3 = '' OR (',' || $3 || ',') LIKE ('%,' || r.state || ',%')) \
             AND ($4 = '' OR r.number LIKE $4 ESCAPE '\\' OR r.recipient LIKE $4 ESCAPE '\\' OR r.case_summary LIKE $4 ESCAPE '\\') \
             AND ($5 = 0 OR r.id < $5) \
             ORDER BY r.id DESC LIMIT $6"
        ))
        .bind(i64::from(q.all))
        .bind(q.viewer)
        .bind(states)
        .bind(text)
        .bind(q.before.unwrap_or(0))
        .bind(q.limit)
        .bind(q.owner.unwrap_or(0))
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// All requests, newest first.
    pub async fn requests(&self) -> Result<Vec<Request>> {
        Ok(sqlx::query_as(concat!("SELECT ", req_cols!(), " FROM requests ORDER BY id DESC"))
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// Moves a request from `from` to `to` (a plain transition).
    pub async fn transition_request(
        &self,
        id: i64,
        from: RequestState,
        to: RequestState,
    ) -> Result<Request> {
        sqlx::query_as(concat!(
            "UPDATE requests SET state = $3 WHERE id = $1 AND state = $2 RETURNING ",
            req_cols!()
        ))
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| stale("request", id, from.as_str()))
    }

    /// Records the relay (SAK-M).
    pub async fn relay_request(
        &self,
        id: i64,
        from: RequestState,
        by: i64,
        now: i64,
    ) -> Result<Request> {
        sqlx::query_as(concat!("UPDATE requests SET state = 'relayed', relayed_by = $3, relayed_at = $4 WHERE id = $1 AND state = $2 RETURNING ", req_cols!()))
        .bind(id)
        .bind(from.as_str())
        .bind(by)
        .bind(now)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| stale("request", id, from.as_str()))
    }

    /// Records a decision. On approval with a certificate, `certificate` is its number; the
    /// number is taken only after the state change succeeds, so losers of a race take none.
    pub async fn decide_request(
        &self,
        id: i64,
        from: RequestState,
        approve: bool,
        by: i64,
        reason: Option<&str>,
        now: i64,
    ) -> Result<Request> {
        let to = if approve { RequestState::Approved } else { RequestState::Refused };
        sqlx::query_as(concat!("UPDATE requests SET state = $3, decided_by = $4, decided_at = $5, decision_reason = $6 \
             WHERE id = $1 AND state = $2 RETURNING ", req_cols!()))
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(by)
        .bind(now)
        .bind(reason)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| stale("request", id, from.as_str()))
    }

    /// Sets the certificate number of an approved request (once).
    pub async fn set_certificate_number(&self, id: i64, number: &str) -> Result<Request> {
        sqlx::query_as(concat!("UPDATE requests SET certificate_number = $2 WHERE id = $1 AND certificate_number IS NULL RETURNING ", req_cols!()))
        .bind(id)
        .bind(number)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(|e| StoreError::from_write(e, "exists_certificate", "that certificate number"))?
        .ok_or_else(|| StoreError::changed(format!("request {id} already has a certificate")))
    }

    /// Links a request to the emergency order it files for.
    pub async fn link_request_to_order(&self, id: i64, order_id: i64) -> Result<()> {
        sqlx::query("UPDATE requests SET emergency_order_id = $2 WHERE id = $1")
            .bind(id)
            .bind(order_id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Issues an instruction.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_instruction(
        &self,
        request_id: i64,
        step: i64,
        parent_id: Option<i64>,
        issued_by: i64,
        issued_role: &str,
        issued_to: i64,
        cameras: &str,
        range: (i64, i64),
        note: &str,
        now: i64,
    ) -> Result<Instruction> {
        Ok(sqlx::query_as(concat!("INSERT INTO instructions (request_id, step, parent_id, issued_by, issued_role, issued_to, cameras, range_from, range_to, \
             note, issued_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open') RETURNING ", ins_cols!()))
        .bind(request_id)
        .bind(step)
        .bind(parent_id)
        .bind(issued_by)
        .bind(issued_role)
        .bind(issued_to)
        .bind(cameras)
        .bind(range.0)
        .bind(range.1)
        .bind(note)
        .bind(now)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// An instruction by id.
    pub async fn instruction(&self, id: i64) -> Result<Option<Instruction>> {
        Ok(sqlx::query_as(concat!("SELECT ", ins_cols!(), " FROM instructions WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// Instructions of a request, in order.
    pub async fn instructions_of(&self, request_id: i64) -> Result<Vec<Instruction>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            ins_cols!(),
            " FROM instructions WHERE request_id = $1 ORDER BY id"
        ))
        .bind(request_id)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Open instructions addressed to an account.
    pub async fn open_instructions_for(&self, account: i64) -> Result<Vec<Instruction>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            ins_cols!(),
            " FROM instructions WHERE issued_to = $1 AND state = 'open' ORDER BY id"
        ))
        .bind(account)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Moves an instruction from `open` to `to` (`passed`, `executed`, `cancelled`).
    pub async fn close_instruction(&self, id: i64, to: InstructionState) -> Result<Instruction> {
        sqlx::query_as(concat!(
            "UPDATE instructions SET state = $2 WHERE id = $1 AND state = 'open' RETURNING ",
            ins_cols!()
        ))
        .bind(id)
        .bind(to.as_str())
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| stale("instruction", id, "open"))
    }

    /// Records an extraction.
    pub async fn create_extraction(&self, e: &NewExtraction<'_>, now: i64) -> Result<Extraction> {
        Ok(sqlx::query_as(concat!("INSERT INTO extractions (request_id, instruction_id, emergency_order_id, operator_id, operator_role, workstation_id, \
             cameras, range_from, range_to, extracted_at, package_id, manifest_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ", ext_cols!()))
        .bind(e.request_id)
        .bind(e.instruction_id)
        .bind(e.emergency_order_id)
        .bind(e.operator_id)
        .bind(e.operator_role)
        .bind(e.workstation_id)
        .bind(e.cameras)
        .bind(e.range_from)
        .bind(e.range_to)
        .bind(now)
        .bind(e.package_id)
        .bind(e.manifest_hash)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// An extraction by id.
    pub async fn extraction(&self, id: i64) -> Result<Option<Extraction>> {
        Ok(sqlx::query_as(concat!("SELECT ", ext_cols!(), " FROM extractions WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// Extractions of a request.
    pub async fn extractions_of(&self, request_id: i64) -> Result<Vec<Extraction>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            ext_cols!(),
            " FROM extractions WHERE request_id = $1 ORDER BY id"
        ))
        .bind(request_id)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Extractions on a workstation within `[from, to)`.
    pub async fn extractions_on(
        &self,
        workstation_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<Extraction>> {
        Ok(sqlx::query_as(concat!("SELECT ", ext_cols!(), " FROM extractions WHERE workstation_id = $1 AND extracted_at >= $2 AND extracted_at < $3 ORDER BY id"))
        .bind(workstation_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Records the extractor's report (NIS-9.3).
    pub async fn report_extraction(&self, id: i64, to: i64, now: i64) -> Result<Extraction> {
        sqlx::query_as(concat!("UPDATE extractions SET reported_to = $2, reported_at = $3 WHERE id = $1 AND reported_at IS NULL RETURNING ", ext_cols!()))
        .bind(id)
        .bind(to)
        .bind(now)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| StoreError::changed(format!("extraction {id} is already reported")))
    }

    /// Writes a ledger entry.
    pub async fn create_ledger_entry(&self, l: &LedgerEntry) -> Result<LedgerEntry> {
        Ok(sqlx::query_as(concat!("INSERT INTO ledger_entries (form, request_id, emergency_order_id, extraction_id, instruction_id, instruction_issuer, \
             operator_id, cameras, range_from, range_to, extracted_at, workstation_id, request_ref, basis, purpose, recipient, \
             handover_date, data_hashes, written_by, written_role, written_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING ", ledger_cols!()))
        .bind(&l.form)
        .bind(l.request_id)
        .bind(l.emergency_order_id)
        .bind(l.extraction_id)
        .bind(l.instruction_id)
        .bind(l.instruction_issuer)
        .bind(l.operator_id)
        .bind(&l.cameras)
        .bind(l.range_from)
        .bind(l.range_to)
        .bind(l.extracted_at)
        .bind(l.workstation_id)
        .bind(&l.request_ref)
        .bind(&l.basis)
        .bind(&l.purpose)
        .bind(&l.recipient)
        .bind(&l.handover_date)
        .bind(&l.data_hashes)
        .bind(l.written_by)
        .bind(&l.written_role)
        .bind(l.written_at)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// A page of the ledger, newest first: at most `limit` entries older than `before`.
    pub async fn ledger_page(&self, q: &LedgerQuery) -> Result<Vec<LedgerEntry>> {
        let (owner, org) = match q.scope {
            LedgerScope::All => (0, 0),
            LedgerScope::Owner(o) => (o, 0),
            LedgerScope::MadeBy(o) => (0, o),
        };
        let text = q.text.as_deref().map(contains_pattern).unwrap_or_default();
        let camera =
            q.camera.as_deref().map(|c| contains_pattern(&format!("\"{c}\""))).unwrap_or_default();
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            ledger_cols!(),
            " FROM ledger_entries l WHERE ($1 = 0 OR l.id < $1) \
             AND ($3 = 0 OR COALESCE((SELECT r.owner_org_id FROM requests r WHERE r.id = l.request_id), \
                  (SELECT e.owner_org_id FROM emergency_orders e WHERE e.id = l.emergency_order_id)) = $3) \
             AND ($4 = 0 OR EXISTS (SELECT 1 FROM accounts a WHERE a.organisation_id = $4 \
                  AND (a.id = l.operator_id OR a.id = l.written_by \
                       OR a.id = (SELECT r.requester_id FROM requests r WHERE r.id = l.request_id)))) \
             AND ($5 = '' OR l.recipient LIKE $5 ESCAPE '\\' OR l.request_ref LIKE $5 ESCAPE '\\' OR l.purpose LIKE $5 ESCAPE '\\') \
             AND ($6 = '' OR l.cameras LIKE $6 ESCAPE '\\') \
             AND ($7 = 0 OR l.extracted_at >= $7) AND ($8 = 0 OR l.extracted_at < $8) \
             ORDER BY l.id DESC LIMIT $2"
        ))
        .bind(q.before.unwrap_or(0))
        .bind(q.limit)
        .bind(owner)
        .bind(org)
        .bind(text)
        .bind(camera)
        .bind(q.from_ms.unwrap_or(0))
        .bind(q.to_ms.unwrap_or(0))
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// The ledger entry that records an extraction's use, if written.
    pub async fn ledger_of_extraction(&self, extraction_id: i64) -> Result<Option<LedgerEntry>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            ledger_cols!(),
            " FROM ledger_entries WHERE extraction_id = $1 ORDER BY id LIMIT 1"
        ))
        .bind(extraction_id)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// The ledger, newest first.
    pub async fn ledger(&self) -> Result<Vec<LedgerEntry>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            ledger_cols!(),
            " FROM ledger_entries ORDER BY id DESC"
        ))
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }
}

/// Which requests a list shows, newest first (a page of them).
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// The account listing: without `all`, only requests it filed or was instructed on.
    pub viewer: i64,
    /// The viewer sees every request (reviewers, relaying offices, instruction issuers, ledger
    /// readers) — of `owner` only, when given (issue 15).
    pub all: bool,
    /// With `all`: only requests about this organisation's cameras.
    pub owner: Option<i64>,
    /// Only these states (empty: any).
    pub states: Vec<String>,
    /// Only requests whose number, recipient or case summary contains this text.
    pub text: Option<String>,
    /// The cursor: only requests with a smaller id.
    pub before: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// `text` for a `LIKE … ESCAPE '\'` pattern that matches it anywhere.
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}
