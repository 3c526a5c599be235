-- mimamori governance store, schema 1.
-- Written for SQLite; migrations/postgres/ is derived from this file (see src/schema.rs).
-- Conventions: integers are BIGINT, instants are UTC milliseconds (BIGINT), booleans are 0/1,
-- lists and small records are JSON text.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    password_hash TEXT NOT NULL,
    password_changed_at BIGINT NOT NULL,
    must_change_password BIGINT NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    totp_secret TEXT,
    totp_enabled BIGINT NOT NULL DEFAULT 0,
    confidentiality_ack_at BIGINT,
    disabled_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by BIGINT
);

-- Who holds which role, designated by whom and when (SPEC.md §3).
CREATE TABLE designations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL,
    designated_by BIGINT,
    designated_at BIGINT NOT NULL,
    valid_until BIGINT,
    revoked_at BIGINT,
    revoked_by BIGINT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX designations_account ON designations(account_id);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE sites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    latitude REAL,
    longitude REAL,
    system TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    signage_text TEXT NOT NULL DEFAULT '',
    signage_checked_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by BIGINT
);

CREATE TABLE cameras (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    site_id BIGINT NOT NULL REFERENCES sites(id),
    name TEXT NOT NULL,
    install_date TEXT NOT NULL,
    recorder TEXT NOT NULL DEFAULT '',
    rtsp_url TEXT NOT NULL DEFAULT '',
    public_share_permille BIGINT,
    coverage_exemption TEXT NOT NULL DEFAULT '',
    consensus_note TEXT NOT NULL DEFAULT '',
    owner_permission TEXT NOT NULL DEFAULT '',
    anti_removal BIGINT NOT NULL DEFAULT 0,
    masks_native BIGINT NOT NULL DEFAULT 0,
    retention_days BIGINT,
    retention_months BIGINT,
    status TEXT NOT NULL,
    commissioned_at BIGINT,
    decommissioned_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by BIGINT
);

-- Dedicated PCs (専用パソコン): device identity, placement, storage, custody, revocation.
CREATE TABLE workstations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    placement TEXT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    storage TEXT NOT NULL,
    device_token_hash TEXT UNIQUE,
    enrolled_at BIGINT,
    last_custody_check_at BIGINT,
    revoked_at BIGINT,
    revoked_reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    created_by BIGINT
);

-- Contracts with the clause checklist of ASA-3.7.
CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    scope TEXT NOT NULL,
    clauses TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    signed_off_by BIGINT,
    signed_off_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by BIGINT
);

CREATE TABLE requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    basis TEXT NOT NULL,
    purpose TEXT NOT NULL,
    requester_id BIGINT REFERENCES accounts(id),
    requester_role TEXT NOT NULL,
    recipient TEXT NOT NULL,
    case_summary TEXT NOT NULL,
    documents TEXT NOT NULL,
    cameras TEXT NOT NULL,
    range_from BIGINT NOT NULL,
    range_to BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    relayed_by BIGINT,
    relayed_at BIGINT,
    decided_by BIGINT,
    decided_at BIGINT,
    decision_reason TEXT,
    certificate_number TEXT UNIQUE,
    emergency_order_id BIGINT
);

CREATE TABLE instructions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES requests(id),
    step BIGINT NOT NULL,
    parent_id BIGINT,
    issued_by BIGINT NOT NULL,
    issued_role TEXT NOT NULL,
    issued_to BIGINT NOT NULL,
    cameras TEXT NOT NULL,
    range_from BIGINT NOT NULL,
    range_to BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    issued_at BIGINT NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX instructions_to ON instructions(issued_to);

CREATE TABLE extractions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT,
    instruction_id BIGINT,
    emergency_order_id BIGINT,
    operator_id BIGINT NOT NULL,
    operator_role TEXT NOT NULL,
    workstation_id BIGINT NOT NULL REFERENCES workstations(id),
    cameras TEXT NOT NULL,
    range_from BIGINT NOT NULL,
    range_to BIGINT NOT NULL,
    extracted_at BIGINT NOT NULL,
    package_id TEXT,
    manifest_hash TEXT,
    reported_to BIGINT,
    reported_at BIGINT
);

-- The usage ledger (画像利用簿 / 画像管理台帳 form 1 / KIT-6.3 record): LEDGER-1 fields.
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    form TEXT NOT NULL,
    request_id BIGINT,
    emergency_order_id BIGINT,
    extraction_id BIGINT NOT NULL REFERENCES extractions(id),
    instruction_id BIGINT,
    instruction_issuer BIGINT,
    operator_id BIGINT NOT NULL,
    cameras TEXT NOT NULL,
    range_from BIGINT NOT NULL,
    range_to BIGINT NOT NULL,
    extracted_at BIGINT NOT NULL,
    workstation_id BIGINT NOT NULL,
    request_ref TEXT NOT NULL,
    basis TEXT NOT NULL,
    purpose TEXT NOT NULL,
    recipient TEXT NOT NULL,
    handover_date TEXT,
    data_hashes TEXT NOT NULL,
    written_by BIGINT NOT NULL,
    written_role TEXT NOT NULL,
    written_at BIGINT NOT NULL
);

-- Written delegations to an investigative agency (NIS-10.2).
CREATE TABLE delegations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    document_ref TEXT NOT NULL,
    confirmed_by BIGINT NOT NULL,
    confirmed_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by BIGINT
);

CREATE TABLE emergency_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    organisation_id BIGINT NOT NULL,
    ordered_by BIGINT NOT NULL,
    ordered_role TEXT NOT NULL,
    urgency_reason TEXT NOT NULL,
    executor_id BIGINT NOT NULL,
    cameras TEXT NOT NULL,
    range_from BIGINT NOT NULL,
    range_to BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    ordered_at BIGINT NOT NULL,
    in_window BIGINT NOT NULL,
    outside_reason TEXT,
    flagged BIGINT NOT NULL,
    filing_due_at BIGINT,
    state TEXT NOT NULL,
    extraction_id BIGINT,
    filed_by BIGINT,
    filed_at BIGINT,
    filing_form TEXT,
    filing_reference TEXT,
    delay_reason TEXT,
    ledger_entry_id BIGINT
);

-- Monthly extraction histories submitted for lent PCs (ASA-3.5c, NIS-11.3).
CREATE TABLE monthly_histories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workstation_id BIGINT NOT NULL REFERENCES workstations(id),
    month TEXT NOT NULL,
    submitted_by BIGINT NOT NULL,
    submitted_at BIGINT NOT NULL,
    items TEXT NOT NULL,
    UNIQUE (workstation_id, month)
);

CREATE TABLE reconciliation_incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    month TEXT NOT NULL,
    workstation_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    ref_key TEXT NOT NULL,
    detail TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    closed_by BIGINT,
    closed_at BIGINT,
    note TEXT,
    UNIQUE (month, workstation_id, kind, ref_key)
);

-- Retention extensions and legal holds (KIT-5.6, KAW-2.2.6イ).
CREATE TABLE holds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    camera TEXT NOT NULL,
    range_from BIGINT NOT NULL,
    range_to BIGINT NOT NULL,
    until_at BIGINT NOT NULL,
    placed_by BIGINT NOT NULL,
    placed_role TEXT NOT NULL,
    reason TEXT NOT NULL,
    inquiry_reference TEXT,
    placed_at BIGINT NOT NULL,
    released_by BIGINT,
    released_at BIGINT
);

-- Viewing for management purposes, with witnesses (ASA-3.4a).
CREATE TABLE viewings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    viewer_id BIGINT NOT NULL,
    role TEXT NOT NULL,
    workstation_id BIGINT NOT NULL,
    cameras TEXT NOT NULL,
    range_from BIGINT NOT NULL,
    range_to BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    witnesses TEXT NOT NULL,
    viewed_at BIGINT NOT NULL
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    next BIGINT NOT NULL
);

-- The tamper-evident audit log (crate `audit`).
CREATE TABLE audit_meta (
    id BIGINT PRIMARY KEY,
    log_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE audit_entries (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT,
    workstation TEXT,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    outcome TEXT NOT NULL,
    rule TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_entries_actor ON audit_entries(actor);
CREATE INDEX audit_entries_at ON audit_entries(at);

CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    log_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    at BIGINT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
