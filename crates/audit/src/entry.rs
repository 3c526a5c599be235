//! Log entries and how they are hashed.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A 32-byte BLAKE3 digest, shown as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Digest(out))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", &self.to_hex()[..16])
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Digest::from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// Identifies one log, so entries or checkpoints of another city's log are recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LogId(pub Digest);

impl LogId {
    /// A fresh random id.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut b = [0u8; 32];
        getrandom::fill(&mut b)?;
        Ok(LogId(Digest(b)))
    }

    /// The `prev_hash` of entry 1.
    pub fn genesis(&self) -> Digest {
        let mut h = blake3::Hasher::new_derive_key("mimamori audit genesis v1");
        h.update(&self.0.0);
        Digest(*h.finalize().as_bytes())
    }
}

/// Whether the action was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused by a rule or a permission check.
    Denied,
    /// Attempted and failed (bad input, I/O error…).
    Failed,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ok" => Outcome::Ok,
            "denied" => Outcome::Denied,
            "failed" => Outcome::Failed,
            _ => return None,
        })
    }
}

/// What happened, as the caller reports it. Never put secrets (passwords, tokens, keys) here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Who: an account id, or `system`, or `anonymous`.
    pub actor: String,
    /// The role they acted in.
    pub role: Option<String>,
    /// The registered workstation they acted from.
    pub workstation: Option<String>,
    /// What, as `noun.verb` (`request.approve`, `footage.extract`, `login`).
    pub action: String,
    /// On what (`request:42`, `camera:cam1`).
    pub object: String,
    /// Whether it happened.
    pub outcome: Outcome,
    /// The rule that refused it, if a rule did.
    pub rule: Option<String>,
    /// Further facts, as a JSON object.
    pub detail: serde_json::Value,
    /// The client's network address, when the event came over the network (ASVS V7.1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

impl Event {
    /// An event with no role, workstation, rule or detail.
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        object: impl Into<String>,
        outcome: Outcome,
    ) -> Self {
        Event {
            actor: actor.into(),
            role: None,
            workstation: None,
            action: action.into(),
            object: object.into(),
            outcome,
            rule: None,
            detail: serde_json::Value::Object(Default::default()),
            client: None,
        }
    }
}

/// One entry of the chain, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3… without gaps.
    pub seq: u64,
    /// When, with millisecond precision.
    pub at: Timestamp,
    /// See [`Event::actor`].
    pub actor: String,
    /// See [`Event::role`].
    pub role: Option<String>,
    /// See [`Event::workstation`].
    pub workstation: Option<String>,
    /// See [`Event::action`].
    pub action: String,
    /// See [`Event::object`].
    pub object: String,
    /// See [`Event::outcome`].
    pub outcome: Outcome,
    /// See [`Event::rule`].
    pub rule: Option<String>,
    /// The detail as the exact JSON text that was hashed.
    pub detail: String,
    /// The client's network address, when known. Hashed only when present, after
    /// `prev_hash`, so entries written before it was kept keep their hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Hash of the previous entry (or the log's genesis digest for entry 1).
    pub prev_hash: Digest,
    /// Hash of this entry.
    pub hash: Digest,
}

impl Entry {
    /// Builds the entry that follows `prev_hash` at `seq`.
    pub fn seal(seq: u64, at: Timestamp, event: Event, prev_hash: Digest) -> Entry {
        // Millisecond precision so every backend stores the instant exactly.
        let at = Timestamp::from_millisecond(at.as_millisecond()).unwrap_or(at);
        let mut e = Entry {
            seq,
            at,
            actor: event.actor,
            role: event.role,
            workstation: event.workstation,
            action: event.action,
            object: event.object,
            outcome: event.outcome,
            rule: event.rule,
            detail: event.detail.to_string(),
            client: event.client,
            prev_hash,
            hash: Digest([0; 32]),
        };
        e.hash = e.compute_hash();
        e
    }

    /// The hash this entry's fields imply. Differs from [`Entry::hash`] if anything was edited.
    ///
    /// Every field is length-prefixed, so no two different entries encode the same bytes.
    pub fn compute_hash(&self) -> Digest {
        let mut h = blake3::Hasher::new_derive_key("mimamori audit entry v1");
        h.update(&self.seq.to_le_bytes());
        h.update(&self.at.as_millisecond().to_le_bytes());
        for field in [Some(&self.actor), self.role.as_ref(), self.workstation.as_ref()] {
            put_opt(&mut h, field.map(String::as_str));
        }
        put(&mut h, &self.action);
        put(&mut h, &self.object);
        put(&mut h, self.outcome.as_str());
        put_opt(&mut h, self.rule.as_deref());
        put(&mut h, &self.detail);
        h.update(&self.prev_hash.0);
        if let Some(c) = &self.client {
            h.update(b"client");
            put(&mut h, c);
        }
        Digest(*h.finalize().as_bytes())
    }
}

fn put(h: &mut blake3::Hasher, s: &str) {
    h.update(&(s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn put_opt(h: &mut blake3::Hasher, s: Option<&str>) {
    match s {
        None => {
            h.update(&[0]);
        }
        Some(s) => {
            h.update(&[1]);
            put(h, s);
        }
    }
}
