//! Delegations, emergency orders, monthly histories and reconciliation incidents (SPEC.md §5).

use crate::{At, Db, Result, StoreError, changed_one};
use policy::emergency::OrderState;
use serde::Serialize;

/// A written delegation to an investigative agency (NIS-10.2).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Delegation {
    /// Id.
    pub id: i64,
    /// The agency.
    pub organisation_id: i64,
    /// Reference of the written confirmation.
    pub document_ref: String,
    /// Confirmed by (the manager).
    pub confirmed_by: i64,
    /// When.
    pub confirmed_at: At,
    /// Revoked.
    pub revoked_at: Option<At>,
    /// Revoked by.
    pub revoked_by: Option<i64>,
}

/// An emergency extraction order (ASA-3.5b, NIS-11.1).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct EmergencyOrder {
    /// Id.
    pub id: i64,
    /// Number.
    pub number: String,
    /// The police station or agency.
    pub organisation_id: i64,
    /// Who judged it urgent and ordered it.
    pub ordered_by: i64,
    /// In which role.
    pub ordered_role: String,
    /// Why it was judged urgent and especially necessary.
    pub urgency_reason: String,
    /// Who is to extract.
    pub executor_id: i64,
    /// Cameras JSON.
    pub cameras: String,
    /// From.
    pub range_from: At,
    /// To.
    pub range_to: At,
    /// Purpose id.
    pub purpose: String,
    /// Ordered at.
    pub ordered_at: At,
    /// Inside the emergency window.
    #[sqlx(try_from = "i64")]
    pub in_window: crate::Flag,
    /// Written reason outside the window (NIS).
    pub outside_reason: Option<String>,
    /// Flagged to the manager.
    #[sqlx(try_from = "i64")]
    pub flagged: crate::Flag,
    /// Filing due (UTC ms).
    pub filing_due_at: Option<At>,
    /// Where it stands (an unknown stored name is a decoding error).
    #[sqlx(try_from = "String")]
    pub state: OrderState,
    /// The extraction.
    pub extraction_id: Option<i64>,
    /// Filed by.
    pub filed_by: Option<i64>,
    /// Filed at.
    pub filed_at: Option<At>,
    /// Form filed.
    pub filing_form: Option<String>,
    /// Reference of the filed document.
    pub filing_reference: Option<String>,
    /// Reason recorded for a late filing.
    pub delay_reason: Option<String>,
    /// Ledger entry written on receipt.
    pub ledger_entry_id: Option<i64>,
    /// The owner of the cameras (issue 15).
    pub owner_org_id: Option<i64>,
    /// Who reported the ledger entry to the operations chief (NIS-11.2).
    pub reported_by: Option<i64>,
    /// When.
    pub reported_at: Option<At>,
    /// Who reviewed the order it was flagged to them (outside the window, PROD-EMERG-1).
    pub flag_reviewed_by: Option<i64>,
    /// When.
    pub flag_reviewed_at: Option<At>,
    /// The reviewer's note.
    pub flag_review_note: Option<String>,
}

/// A new emergency order.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    /// Number.
    pub number: &'a str,
    /// Organisation.
    pub organisation_id: i64,
    /// Orderer.
    pub ordered_by: i64,
    /// Role.
    pub ordered_role: &'a str,
    /// Urgency reason.
    pub urgency_reason: &'a str,
    /// Executor.
    pub executor_id: i64,
    /// Cameras JSON.
    pub cameras: &'a str,
    /// From.
    pub range_from: At,
    /// To.
    pub range_to: At,
    /// Purpose.
    pub purpose: &'a str,
    /// In window.
    pub in_window: bool,
    /// Outside reason.
    pub outside_reason: Option<&'a str>,
    /// Flagged.
    pub flagged: bool,
    /// Filing due.
    pub filing_due_at: Option<At>,
    /// The owner of the cameras.
    pub owner_org_id: Option<i64>,
}

/// An incident to open: a reconciliation mismatch or a lapsed duty. The same (month,
/// workstation, kind, key) is one incident however often it is found.
#[derive(Debug, Clone)]
pub struct NewIncident<'a> {
    /// The month (or a duty's period).
    pub month: &'a str,
    /// The workstation it concerns; 0 for none (a duty of the office, a site or a camera).
    pub workstation: i64,
    /// `policy::reconcile::Discrepancy` tag, or `duty_lapsed`.
    pub kind: &'a str,
    /// Deduplication key.
    pub ref_key: &'a str,
    /// Detail JSON.
    pub detail: &'a str,
    /// The owner of the cameras it is about, if any (issue 15).
    pub owner: Option<i64>,
}

/// A monthly extraction history submitted for a lent PC.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct MonthlyHistory {
    /// Id.
    pub id: i64,
    /// Workstation.
    pub workstation_id: i64,
    /// `YYYY-MM` (JST).
    pub month: String,
    /// Submitted by.
    pub submitted_by: i64,
    /// When.
    pub submitted_at: At,
    /// Items JSON (policy::reconcile::HistoryItem list).
    pub items: String,
}

/// A reconciliation incident.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Incident {
    /// Id.
    pub id: i64,
    /// Month.
    pub month: String,
    /// Workstation.
    pub workstation_id: i64,
    /// Kind (policy::reconcile::Discrepancy tag).
    pub kind: String,
    /// Deduplication key.
    pub ref_key: String,
    /// Detail JSON.
    pub detail: String,
    /// Opened.
    pub opened_at: At,
    /// Closed by.
    pub closed_by: Option<i64>,
    /// Closed at.
    pub closed_at: Option<At>,
    /// Closing note.
    pub note: Option<String>,
    /// The owner of the cameras it is about (a lapsed duty on a site or camera); `None`: the
    /// city as a whole or a lent PC.
    pub owner_org_id: Option<i64>,
}

macro_rules! order_cols {
    () => {
        "id, number, organisation_id, ordered_by, ordered_role, urgency_reason, executor_id, cameras, range_from, \
    range_to, purpose, ordered_at, in_window, outside_reason, flagged, filing_due_at, state, extraction_id, filed_by, filed_at, \
    filing_form, filing_reference, delay_reason, ledger_entry_id, owner_org_id, reported_by, reported_at, \
    flag_reviewed_by, flag_reviewed_at, flag_review_note"
    };
}

impl Db {
    /// Records a written delegation.
    pub async fn create_delegation(
        &self,
        org: i64,
        document_ref: &str,
        by: i64,
        now: i64,
    ) -> Result<Delegation> {
        Ok(sqlx::query_as(
            "INSERT INTO delegations (organisation_id, document_ref, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, organisation_id, document_ref, confirmed_by, confirmed_at, revoked_at, revoked_by",
        )
        .bind(org)
        .bind(document_ref)
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// All delegations.
    pub async fn delegations(&self) -> Result<Vec<Delegation>> {
        Ok(sqlx::query_as("SELECT id, organisation_id, document_ref, confirmed_by, confirmed_at, revoked_at, revoked_by FROM delegations ORDER BY id")
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// Revokes a delegation.
    pub async fn revoke_delegation(&self, id: i64, by: i64, now: i64) -> Result<()> {
        let r = sqlx::query("UPDATE delegations SET revoked_at = $3, revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(by)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("delegation {id} is already revoked or does not exist"))
    }

    /// Whether the organisation holds a delegation in force.
    pub async fn delegation_in_force(&self, org: i64, now: i64) -> Result<bool> {
        Ok(self.delegation_id_in_force(org, now).await?.is_some())
    }

    /// The delegation in force for an organisation at `now` (the most recently confirmed), if
    /// any: an emergency package names it.
    pub async fn delegation_id_in_force(&self, org: i64, now: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM delegations WHERE organisation_id = $1 AND confirmed_at <= $2 AND (revoked_at IS NULL OR revoked_at > $2) ORDER BY confirmed_at DESC, id DESC LIMIT 1",
        )
        .bind(org)
        .bind(now)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Records an emergency order.
    pub async fn create_order(&self, o: &NewOrder<'_>, now: i64) -> Result<EmergencyOrder> {
        Ok(sqlx::query_as(concat!("INSERT INTO emergency_orders (number, organisation_id, ordered_by, ordered_role, urgency_reason, executor_id, cameras, \
             range_from, range_to, purpose, ordered_at, in_window, outside_reason, flagged, filing_due_at, state, owner_org_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'ordered', $16) RETURNING ", order_cols!()))
        .bind(o.number)
        .bind(o.organisation_id)
        .bind(o.ordered_by)
        .bind(o.ordered_role)
        .bind(o.urgency_reason)
        .bind(o.executor_id)
        .bind(o.cameras)
        .bind(o.range_from)
        .bind(o.range_to)
        .bind(o.purpose)
        .bind(now)
        .bind(i64::from(o.in_window))
        .bind(o.outside_reason)
        .bind(i64::from(o.flagged))
        .bind(o.filing_due_at)
        .bind(o.owner_org_id)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// An order by id.
    pub async fn order(&self, id: i64) -> Result<Option<EmergencyOrder>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            order_cols!(),
            " FROM emergency_orders WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// All orders, newest first.
    pub async fn orders(&self) -> Result<Vec<EmergencyOrder>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            order_cols!(),
            " FROM emergency_orders ORDER BY id DESC"
        ))
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Records the extraction of an order.
    /// The order was carried out; its filing is due `filing_due_at` (counted from the
    /// extraction).
    pub async fn order_extracted(
        &self,
        id: i64,
        extraction_id: i64,
        filing_due_at: Option<i64>,
    ) -> Result<EmergencyOrder> {
        sqlx::query_as(concat!("UPDATE emergency_orders SET state = 'extracted', extraction_id = $2, filing_due_at = $3 WHERE id = $1 AND state = 'ordered' RETURNING ", order_cols!()))
        .bind(id)
        .bind(extraction_id)
        .bind(filing_due_at)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| StoreError::changed(format!("emergency order {id} is not awaiting extraction")))
    }

    /// An order not carried out before its power lapsed (issue 15).
    pub async fn order_expired(&self, id: i64) -> Result<EmergencyOrder> {
        sqlx::query_as(concat!(
            "UPDATE emergency_orders SET state = 'expired' WHERE id = $1 AND state = 'ordered' RETURNING ",
            order_cols!()
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| StoreError::changed(format!("emergency order {id} is not awaiting extraction")))
    }

    /// Records the post-hoc filing; `closes` when no ledger step follows.
    pub async fn order_filed(
        &self,
        id: i64,
        by: i64,
        form: &str,
        reference: &str,
        closes: bool,
        now: i64,
    ) -> Result<EmergencyOrder> {
        let to = if closes { OrderState::Closed } else { OrderState::Filed };
        sqlx::query_as(concat!("UPDATE emergency_orders SET state = $2, filed_by = $3, filed_at = $4, filing_form = $5, filing_reference = $6 \
             WHERE id = $1 AND state = 'extracted' RETURNING ", order_cols!()))
        .bind(id)
        .bind(to.as_str())
        .bind(by)
        .bind(now)
        .bind(form)
        .bind(reference)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| StoreError::changed(format!("emergency order {id} is not awaiting its filing")))
    }

    /// Records the ledger entry written on receipt of the filing (NIS-11.2) and closes the order.
    pub async fn order_ledgered(
        &self,
        id: i64,
        ledger_entry_id: i64,
        report_follows: bool,
    ) -> Result<EmergencyOrder> {
        let state = if report_follows { OrderState::Ledgered } else { OrderState::Closed };
        sqlx::query_as(concat!("UPDATE emergency_orders SET state = $3, ledger_entry_id = $2 WHERE id = $1 AND state = 'filed' RETURNING ", order_cols!()))
        .bind(id)
        .bind(ledger_entry_id)
        .bind(state.as_str())
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| StoreError::changed(format!("emergency order {id} is not awaiting its ledger entry")))
    }

    /// Records the clerk's report of a ledgered order to the operations chief (NIS-11.2), which
    /// closes it. Only once, and only after the ledger entry.
    pub async fn order_reported(&self, id: i64, by: i64, now: i64) -> Result<EmergencyOrder> {
        sqlx::query_as(concat!("UPDATE emergency_orders SET state = 'closed', reported_by = $2, reported_at = $3 WHERE id = $1 AND state = 'ledgered' RETURNING ", order_cols!()))
        .bind(id)
        .bind(by)
        .bind(now)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| StoreError::changed(format!("emergency order {id} is not awaiting its report")))
    }

    /// Records the review of a flagged order (PROD-EMERG-1), once: a review on record stands.
    pub async fn order_flag_reviewed(
        &self,
        id: i64,
        by: i64,
        now: i64,
        note: &str,
    ) -> Result<EmergencyOrder> {
        sqlx::query_as(concat!("UPDATE emergency_orders SET flag_reviewed_by = $2, flag_reviewed_at = $3, flag_review_note = $4 \
             WHERE id = $1 AND flagged = 1 AND flag_reviewed_at IS NULL RETURNING ", order_cols!()))
        .bind(id)
        .bind(by)
        .bind(now)
        .bind(note)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| StoreError::changed(format!("emergency order {id} is not waiting for a review")))
    }

    /// Links the auto-written ledger entry of a closing filing.
    pub async fn set_order_ledger_entry(&self, id: i64, ledger_entry_id: i64) -> Result<()> {
        sqlx::query("UPDATE emergency_orders SET ledger_entry_id = $2 WHERE id = $1")
            .bind(id)
            .bind(ledger_entry_id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Records the reason a filing came late.
    pub async fn order_delay_reason(&self, id: i64, reason: &str) -> Result<()> {
        // Once given, the reason stands: it is part of the record (issue 16, L11).
        let r = sqlx::query(
            "UPDATE emergency_orders SET delay_reason = $2 WHERE id = $1 AND delay_reason IS NULL",
        )
        .bind(id)
        .bind(reason)
        .execute(&mut *self.conn().await?)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::changed(format!(
                "emergency order {id} already has its delay reason on record; it is not changed"
            )));
        }
        Ok(())
    }

    /// Submits (or replaces, before reconciliation) a month's history for a workstation.
    pub async fn submit_history(
        &self,
        workstation: i64,
        month: &str,
        by: i64,
        items_json: &str,
        now: i64,
    ) -> Result<MonthlyHistory> {
        sqlx::query_as(
            "INSERT INTO monthly_histories (workstation_id, month, submitted_by, submitted_at, items) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, workstation_id, month, submitted_by, submitted_at, items",
        )
        .bind(workstation)
        .bind(month)
        .bind(by)
        .bind(now)
        .bind(items_json)
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(|e| StoreError::from_write(e, "exists_history", "a history for that workstation and month"))
    }

    /// The history of a workstation for a month.
    pub async fn history(&self, workstation: i64, month: &str) -> Result<Option<MonthlyHistory>> {
        Ok(sqlx::query_as(
            "SELECT id, workstation_id, month, submitted_by, submitted_at, items FROM monthly_histories WHERE workstation_id = $1 AND month = $2",
        )
        .bind(workstation)
        .bind(month)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Opens an incident unless the same one is already recorded. Returns whether it was new.
    pub async fn open_incident(&self, i: &NewIncident<'_>, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO reconciliation_incidents (month, workstation_id, kind, ref_key, detail, opened_at, owner_org_id) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (month, workstation_id, kind, ref_key) DO NOTHING",
        )
        .bind(i.month)
        .bind(i.workstation)
        .bind(i.kind)
        .bind(i.ref_key)
        .bind(i.detail)
        .bind(now)
        .bind(i.owner)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// All incidents, newest first.
    pub async fn incidents(&self) -> Result<Vec<Incident>> {
        Ok(sqlx::query_as(
            "SELECT id, month, workstation_id, kind, ref_key, detail, opened_at, closed_by, closed_at, note, owner_org_id FROM reconciliation_incidents ORDER BY id DESC",
        )
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// One incident.
    pub async fn incident(&self, id: i64) -> Result<Option<Incident>> {
        Ok(sqlx::query_as(
            "SELECT id, month, workstation_id, kind, ref_key, detail, opened_at, closed_by, closed_at, note, owner_org_id FROM reconciliation_incidents WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Closes an incident with a note.
    pub async fn close_incident(&self, id: i64, by: i64, note: &str, now: i64) -> Result<()> {
        let r = sqlx::query("UPDATE reconciliation_incidents SET closed_by = $2, closed_at = $3, note = $4 WHERE id = $1 AND closed_at IS NULL")
            .bind(id)
            .bind(by)
            .bind(now)
            .bind(note)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("incident {id} is already closed or does not exist"))
    }
}
