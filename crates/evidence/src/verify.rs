//! The offline verifier: with only the package and the node's public key, check the manifest
//! signature, every frame of the MP4 against the manifest's leaves, the leaves against the
//! segment roots, the roots along the camera's chain to a signed checkpoint, and the ONVIF file
//! signature; then say plainly, in Japanese and English, what holds and what does not, naming
//! every frame that fails or is missing and every gap.

use crate::manifest::{self, Manifest};
use crate::mp4::{self, Tables};
use crate::package::{self, Decryption, Package};
use crate::{Error, city};
use ed25519_dalek::VerifyingKey;
use media::frame::{Leaf, frame_hash, segment_root};
use media::merkle::Hash;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The package does not verify.
    Fail,
    /// Worth knowing (a recording gap, footage starting after the asked start); not a failure.
    Note,
    /// The package could not be checked at all (unreadable, or no way to decrypt it).
    Unchecked,
}

/// What a verification concluded; the command's exit status (docs/evidence-format.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed (exit 0).
    Verified,
    /// At least one check failed: the package is not what was exported (exit 1).
    Tampered,
    /// Nothing could be checked: unreadable input, encrypted without the key, wrong
    /// passphrase (exit 2). Says nothing about the package either way.
    Unchecked,
}

impl Verdict {
    /// The exit status of `mimamori verify`.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Verified => 0,
            Verdict::Tampered => 1,
            Verdict::Unchecked => 2,
        }
    }
}

/// One thing the verifier found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Fail or note.
    pub severity: Severity,
    /// Stable code (`frame.altered`, `frame.missing`, `manifest.signature`, …).
    pub code: &'static str,
    /// Japanese.
    pub ja: String,
    /// English.
    pub en: String,
}

/// The verdict.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Package id (from the manifest, if it could be read).
    pub package_id: Option<String>,
    /// Camera.
    pub camera: Option<String>,
    /// Requested range.
    pub requested: Option<manifest::Range>,
    /// Delivered range.
    pub delivered: Option<manifest::Range>,
    /// Frames in the MP4 that were checked.
    pub frames_checked: u64,
    /// Frames that matched their recorded leaf.
    pub frames_ok: u64,
    /// Findings, in the order found.
    pub findings: Vec<Finding>,
    /// Whether the package was encrypted.
    pub encrypted: bool,
    /// The workflow records the package was made for (shown only from a verified manifest).
    pub refs: Option<manifest::Refs>,
    /// Who extracted it.
    pub operator: Option<String>,
    /// When it was made (JST).
    pub created: Option<String>,
    /// Whether the manifest's signature verified with the trusted key.
    pub manifest_verified: bool,
    /// SHA-256 of `manifest.json` as stored, hex (what the extraction records).
    pub manifest_sha256: Option<String>,
}

impl Report {
    /// Everything verified.
    pub fn ok(&self) -> bool {
        self.verdict() == Verdict::Verified
    }

    /// The verdict: unchecked if anything stopped the check, else tampered if anything failed.
    pub fn verdict(&self) -> Verdict {
        if self.findings.iter().any(|f| f.severity == Severity::Unchecked) {
            Verdict::Unchecked
        } else if self.findings.iter().any(|f| f.severity == Severity::Fail) {
            Verdict::Tampered
        } else {
            Verdict::Verified
        }
    }

    /// Failures with this code.
    pub fn failures(&self, code: &str) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Fail && f.code == code).count()
    }

    /// Adds a failure (used by callers that check more, e.g. against the city's records).
    pub fn fail(&mut self, code: &'static str, ja: impl Into<String>, en: impl Into<String>) {
        self.findings.push(Finding {
            severity: Severity::Fail,
            code,
            ja: ja.into(),
            en: en.into(),
        });
    }

    /// Adds a finding that stops the check (the verdict becomes "could not check").
    pub fn unchecked(&mut self, ja: impl Into<String>, en: impl Into<String>) {
        self.findings.push(Finding {
            severity: Severity::Unchecked,
            code: "unchecked",
            ja: ja.into(),
            en: en.into(),
        });
    }

    /// Adds a note.
    pub fn note(&mut self, code: &'static str, ja: impl Into<String>, en: impl Into<String>) {
        self.findings.push(Finding {
            severity: Severity::Note,
            code,
            ja: ja.into(),
            en: en.into(),
        });
    }

    /// The plain verdict, Japanese then English: the verdict, then what the package was made
    /// for (request, approval, order, recipient, extractor), then the footage, then findings.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(match self.verdict() {
            Verdict::Verified => {
                "判定: 検証成功（改ざん・欠落なし）\nVerdict: VERIFIED (no alteration, nothing missing)\n"
            }
            Verdict::Tampered => {
                "判定: 検証失敗（書き出し時から変更されています）\nVerdict: FAILED (not the package as exported)\n"
            }
            Verdict::Unchecked => {
                "判定: 検証できません（改ざんの有無は不明）\nVerdict: NOT CHECKED (could not be checked; says nothing either way)\n"
            }
        });
        if let Some(id) = &self.package_id {
            s.push_str(&format!("パッケージ / package: {id}\n"));
        }
        match (&self.refs, self.manifest_verified) {
            (Some(r), true) => {
                s.push_str(&format!("作成の根拠 / made for: {}\n", r.describe()));
            }
            (Some(_), false) => s.push_str(
                "作成の根拠 / made for: （マニフェスト未検証のため表示しません / not shown: the manifest did not verify）\n",
            ),
            (None, _) => {}
        }
        if let (Some(o), true) = (&self.operator, self.manifest_verified) {
            s.push_str(&format!("抽出者 / extracted by: {o}\n"));
        }
        if let (Some(c), true) = (&self.created, self.manifest_verified) {
            s.push_str(&format!("作成日時 / made: {c}\n"));
        }
        if let Some(c) = &self.camera {
            s.push_str(&format!("カメラ / camera: {c}\n"));
        }
        if let Some(r) = &self.requested {
            s.push_str(&format!("要求範囲 / requested: {} – {}\n", r.from, r.to));
        }
        if let Some(r) = &self.delivered {
            s.push_str(&format!("提供範囲 / delivered: {} – {}\n", r.from, r.to));
        }
        s.push_str(&format!(
            "照合したフレーム / frames checked: {} （一致 / matching: {}）\n",
            self.frames_checked, self.frames_ok
        ));
        if self.encrypted {
            s.push_str("暗号化パッケージを復号して検証 / decrypted an encrypted package\n");
        }
        for f in &self.findings {
            let tag = match f.severity {
                Severity::Fail => "[NG]",
                Severity::Note => "[注意/note]",
                Severity::Unchecked => "[未検証/not checked]",
            };
            s.push_str(&format!("{tag} {}\n      {}\n", f.ja, f.en));
        }
        s.push_str(
            "終了コード / exit status: 0 = 検証成功 verified, 1 = 改ざん・不一致 tampered, 2 = 検証不能 could not check\n",
        );
        s
    }
}

/// What the verifier is given besides the package.
pub struct Options<'a> {
    /// The node public key the city published.
    pub node_key: VerifyingKey,
    /// The city's certificate (DER), to pin; without it the manifest's signed hash pins it.
    pub city_cert: Option<Vec<u8>>,
    /// How to open an encrypted package.
    pub decryption: Option<&'a Decryption>,
    /// The request number the package is presented for: a package made for another request
    /// (a replay) fails `binding.request`.
    pub expect_request: Option<String>,
}

/// Verifies the package at `path`. Never panics on hostile input; every problem is a finding.
pub fn verify(path: &Path, opts: &Options<'_>) -> Report {
    let mut r = Report::default();
    match verify_inner(path, opts, &mut r) {
        Ok(()) => {}
        Err(Error::Unchecked(e)) => r.unchecked(format!("検証できません: {e}"), e),
        Err(e) => r.fail(
            "package",
            format!("パッケージが書き出し時の形ではありません: {e}"),
            format!("the package is not as exported: {e}"),
        ),
    }
    r
}

/// How many per-frame findings are listed before summarising.
const MAX_FRAME_FINDINGS: usize = 40;

/// One frame the manifest says is in the MP4.
struct Expected {
    leaf: Leaf,
    seq: u64,
    index: u64,
}

fn verify_inner(path: &Path, opts: &Options<'_>, r: &mut Report) -> Result<(), Error> {
    let mut pkg = Package::open(path, opts.decryption)?;
    r.encrypted = pkg.encrypted;
    let json = pkg.read_small(package::MANIFEST)?;
    let sig = pkg.read_small(package::SIGNATURE)?;
    let trusted = hex::encode(opts.node_key.to_bytes());
    r.manifest_sha256 = Some(hex::encode(Sha256::digest(&json)));
    let parsed = Manifest::from_json(&json);
    if let Ok(m) = &parsed {
        r.package_id = Some(m.package_id.clone());
        r.camera = Some(m.camera.code.clone());
        r.refs = Some(m.refs.clone());
    }
    if let Err(e) = manifest::verify(&opts.node_key, &json, &sig) {
        let other_node = parsed.as_ref().ok().filter(|m| m.node.public_key != trusted);
        if let Some(m) = other_node {
            r.fail(
                "manifest.node",
                format!(
                    "このパッケージはノード {} の別の鍵で署名されており、指定の公開鍵では検証できません（他の市・ノードのもの、または鍵を差し替えて作り直されたもの）",
                    m.node.id
                ),
                format!(
                    "the package is signed by node {} with another key than the one given: from another city or node, or re-made with a substituted key",
                    m.node.id
                ),
            );
        }
        r.fail(
            "manifest.signature",
            "マニフェストの署名が指定の公開鍵で検証できません。マニフェストが書き換えられているため、映像との照合は行いません",
            format!(
                "{e}: the manifest was edited (or signed by another key); nothing is checked against an unverified manifest"
            ),
        );
        return Ok(());
    }
    r.manifest_verified = true;
    let m = match parsed {
        Ok(m) => m,
        Err(e) => {
            r.fail("manifest.format", format!("マニフェストを読めません: {e}"), e.to_string());
            return Ok(());
        }
    };
    r.requested = Some(m.requested.clone());
    r.delivered = Some(m.delivered.clone());
    r.operator = Some(m.operator.clone());
    r.created = Some(m.created.clone());
    if m.node.public_key != trusted {
        r.fail(
            "manifest.node",
            format!(
                "このパッケージはノード {} の鍵で作られており、指定の公開鍵とは異なります",
                m.node.id
            ),
            format!("the package names node {} with another key than the one given", m.node.id),
        );
    }
    if pkg.dos_time != package::dos_time(m.created_ms) {
        r.fail(
            "package",
            "ZIP の各項目の日時が作成日時と一致しません（作り直されたパッケージです）",
            "the zip entries' times are not the package's creation time: the archive was re-made",
        );
    }
    if let Some(want) = &opts.expect_request
        && m.refs.request_number.as_deref() != Some(want.as_str())
    {
        let made_for = m.refs.describe();
        r.fail(
            "binding.request",
            format!("このパッケージは依頼 {want} のために作られたものではありません（作成の根拠: {made_for}）。別の依頼のための提供の再利用です"),
            format!("this package was not made for request {want} (made for: {made_for}): it is replayed from another provision"),
        );
    }
    let expected = check_chain(&m, opts, r)?;
    check_range(&m, &expected, r);
    let cert = match check_video(&mut pkg, &m, &expected, opts, r) {
        Ok(c) => c,
        Err(Error::Mp4(why)) => {
            // Not laid out as an export: say what it is instead, and whether it is the file.
            let (sha, boxes) = survey(&mut pkg)?;
            if sha != m.video.sha256 {
                r.fail(
                    "video.hash",
                    "video.mp4 は書き出されたファイルと異なります（SHA-256 不一致）",
                    "video.mp4 is not the file that was exported (SHA-256 differs)",
                );
            }
            r.fail(
                "video.layout",
                format!(
                    "video.mp4 の構造が書き出し時と異なります（{why}）。最上位ボックス: {boxes}（書き出し時は ftyp moov mdat meta）。別のプログラムで書き直された（リマックス等）ものです"
                ),
                format!(
                    "video.mp4 is not laid out as exported ({why}); its top-level boxes are {boxes}, an export's are ftyp moov mdat meta: it was rewritten by another program (e.g. a remux)"
                ),
            );
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    {
        // Byte for byte the PEM of the certificate in the MP4: nothing in a package may change.
        let pem = if pkg.has(package::CITY_CERT) {
            pkg.read_small(package::CITY_CERT)?
        } else {
            Vec::new()
        };
        if city::der_to_pem(&cert).ok().map(String::into_bytes).as_ref() != Some(&pem) {
            r.fail(
                "package.cert",
                "city-cert.pem が MP4 内の証明書と異なるか、ありません",
                "city-cert.pem is missing or not the certificate inside the MP4",
            );
        }
    }
    let readme =
        if pkg.has(package::README) { pkg.read_small(package::README)? } else { Vec::new() };
    if readme != package::readme(&m).as_bytes() {
        r.fail(
            "package.readme",
            "README.txt が書き換えられているか、ありません",
            "README.txt was edited after export, or is missing",
        );
    }
    Ok(())
}

/// Leaves → roots → links → chain → checkpoint. Returns the frames the MP4 must hold.
fn check_chain(m: &Manifest, opts: &Options<'_>, r: &mut Report) -> Result<Vec<Expected>, Error> {
    let cam = &m.camera.code;
    let mut expected = Vec::new();
    let mut links: Vec<(u64, Hash)> = Vec::new();
    let mut prev_link: Option<Hash> = None;
    let n = m.segments.len();
    if n == 0 {
        r.fail(
            "chain.empty",
            "マニフェストにセグメントがありません",
            "the manifest lists no segment",
        );
        return Ok(expected);
    }
    for (i, s) in m.segments.iter().enumerate() {
        let leaves = match s.decoded_leaves() {
            Ok(l) => l,
            Err(e) => {
                r.fail("chain.leaves", format!("セグメント {}: {e}", s.seq), e.to_string());
                continue;
            }
        };
        if leaves.len() as u64 != s.frames || segment_root(&leaves) != s.root {
            r.fail(
                "chain.root",
                format!("セグメント {} のフレーム一覧がマークルルートと一致しません", s.seq),
                format!("segment {}: its frame leaves do not give its Merkle root", s.seq),
            );
        }
        if s.link_input(cam).link() != s.link {
            r.fail(
                "chain.link",
                format!("セグメント {} のチェーンリンクが内容と一致しません", s.seq),
                format!("segment {}: its chain link does not match its contents", s.seq),
            );
        }
        if let Some(p) = prev_link
            && (s.prev != p || s.seq != links.last().map_or(0, |l| l.0) + 1)
        {
            r.fail(
                "chain.broken",
                format!("セグメント {} が前のセグメントに連結していません（間のセグメントが除かれています）", s.seq),
                format!("segment {} does not link to the one before it: segments were removed", s.seq),
            );
        }
        prev_link = Some(s.link);
        links.push((s.seq, s.link));
        // The exported slice: the first segment may start inside, the last may end inside,
        // everything between is whole.
        let a = s.exported_first;
        let b = a.saturating_add(s.exported_count);
        let whole_start = i == 0 || a == 0;
        let whole_end = i + 1 == n || b == s.frames;
        if b > leaves.len() as u64 || !whole_start || !whole_end || s.exported_count == 0 {
            r.fail(
                "chain.slice",
                format!("セグメント {} の提供範囲が連続していません", s.seq),
                format!("segment {}: the exported frames are not one continuous run", s.seq),
            );
            continue;
        }
        for k in a..b {
            expected.push(Expected { leaf: leaves[k as usize], seq: s.seq, index: k });
        }
    }
    for l in &m.chain_tail {
        if l.camera != *cam || Some(l.prev) != prev_link {
            r.fail(
                "chain.broken",
                format!("チェーンの続き（セグメント {}）が連結していません", l.seq),
                format!("the chain after the export (segment {}) does not link", l.seq),
            );
        }
        prev_link = Some(l.link());
        links.push((l.seq, l.link()));
    }
    let mut covered = false;
    for c in &m.checkpoints {
        if !c.verify(&opts.node_key) || c.camera != *cam {
            r.fail(
                "chain.checkpoint",
                format!("チェックポイント（セグメント {}）の署名が検証できません", c.seq),
                format!("the checkpoint at segment {} does not verify with the node key", c.seq),
            );
        } else if links.contains(&(c.seq, c.link)) {
            covered = true;
        }
    }
    if !covered {
        r.fail(
            "chain.checkpoint",
            "チェーンを覆う署名付きチェックポイントがありません",
            "no signed checkpoint covers the chain",
        );
    }
    Ok(expected)
}

fn check_range(m: &Manifest, expected: &[Expected], r: &mut Report) {
    let (Some(first), Some(last)) = (expected.first(), expected.last()) else { return };
    if !first.leaf.keyframe {
        r.fail(
            "range.keyframe",
            "最初のフレームがキーフレームではありません",
            "the first frame is not a keyframe",
        );
    }
    if m.delivered.from_ms != first.leaf.wall_ms || m.delivered.to_ms != last.leaf.wall_ms {
        r.fail(
            "range.delivered",
            "マニフェストの提供範囲がフレームの時刻と一致しません",
            "the manifest's delivered range does not match its frames' times",
        );
    }
    let rq = &m.requested;
    if first.leaf.wall_ms > rq.from_ms {
        r.note(
            "range.late_start",
            format!("録画は要求開始より後の {} から始まります", manifest::jst(first.leaf.wall_ms)),
            format!(
                "footage starts at {}, after the requested start",
                manifest::jst(first.leaf.wall_ms)
            ),
        );
    }
    if last.leaf.wall_ms + 2_000 < rq.to_ms {
        r.note(
            "range.early_end",
            format!("録画は要求終了より前の {} で終わります", manifest::jst(last.leaf.wall_ms)),
            format!(
                "footage ends at {}, before the requested end",
                manifest::jst(last.leaf.wall_ms)
            ),
        );
    }
    match m.derived_clock_steps() {
        Ok(steps) if steps == m.clock_steps => {
            for c in &steps {
                let secs = c.step_ms as f64 / 1000.0;
                r.note(
                    "time.clock_step",
                    format!(
                        "{} に記録装置の時計が {secs:+.1} 秒調整されました。以降のフレームの記録時刻は MP4 の時間軸より {secs:+.1} 秒ずれています",
                        manifest::jst(c.at_ms)
                    ),
                    format!(
                        "the recorder's clock was adjusted by {secs:+.1} s at {}: recorded times from there on are {secs:+.1} s off the MP4's timeline",
                        manifest::jst(c.at_ms)
                    ),
                );
            }
        }
        _ => r.fail(
            "time.clock_steps",
            "マニフェストの時計調整の記載がフレームの時刻と一致しません",
            "the manifest's clock adjustments do not match its frames' times",
        ),
    }
    for s in &m.segments {
        if let Some(g) = &s.gap_before
            && g.end_ms > rq.from_ms
            && g.start_ms < rq.to_ms
        {
            r.note(
                "range.gap",
                format!(
                    "録画なし {} 〜 {}（理由: {}）",
                    manifest::jst(g.start_ms),
                    manifest::jst(g.end_ms),
                    g.cause
                ),
                format!(
                    "no recording {} to {} (cause: {})",
                    manifest::jst(g.start_ms),
                    manifest::jst(g.end_ms),
                    g.cause
                ),
            );
        }
    }
}

/// Reads one top-level box header and its body (if `limit` allows it whole).
/// A top-level box: type, size, header bytes.
type BoxHead = ([u8; 4], u64, Vec<u8>);

fn next_box(rd: &mut impl Read, sha: &mut Sha256) -> Result<Option<BoxHead>, Error> {
    let mut h = [0u8; 8];
    let mut got = 0;
    while got < 8 {
        match rd.read(&mut h[got..])? {
            0 if got == 0 => return Ok(None),
            0 => return Err(Error::Mp4("the file ends inside a box header".into())),
            k => got += k,
        }
    }
    let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let kind = [h[4], h[5], h[6], h[7]];
    let mut header = h.to_vec();
    let size = match size32 {
        1 => {
            let mut l = [0u8; 8];
            rd.read_exact(&mut l).map_err(|_| Error::Mp4("cut short".into()))?;
            header.extend_from_slice(&l);
            u64::from_be_bytes(l)
        }
        0 => return Err(Error::Mp4("a box running to the end of file is not an export".into())),
        s => u64::from(s),
    };
    if size < header.len() as u64 {
        return Err(Error::Mp4(format!(
            "box {} has an impossible size",
            String::from_utf8_lossy(&kind)
        )));
    }
    sha.update(&header);
    Ok(Some((kind, size, header)))
}

fn read_body(
    rd: &mut impl Read,
    header: Vec<u8>,
    size: u64,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, Error> {
    if size > limit {
        return Err(Error::Mp4(format!("the {what} box is implausibly large ({size} bytes)")));
    }
    let mut v = header;
    let start = v.len();
    v.resize(size as usize, 0);
    rd.read_exact(&mut v[start..])
        .map_err(|_| Error::Mp4(format!("the file ends inside the {what} box")))?;
    Ok(v)
}

fn name_frame(m: &Manifest, e: &Expected) -> (String, String) {
    let t = manifest::jst(e.leaf.wall_ms);
    (
        format!(
            "カメラ {} セグメント {} の {} 番目のフレーム（{t} 記録）",
            m.camera.code, e.seq, e.index
        ),
        format!("camera {} segment {} frame {} (recorded {t})", m.camera.code, e.seq, e.index),
    )
}

#[allow(clippy::too_many_lines)]
fn check_video(
    pkg: &mut Package,
    m: &Manifest,
    expected: &[Expected],
    opts: &Options<'_>,
    r: &mut Report,
) -> Result<Vec<u8>, Error> {
    let (mut rd, total) = pkg.reader(package::VIDEO)?;
    let mut sha = Sha256::new();
    let mut pos = 0u64;
    // ftyp
    let Some((kind, size, h)) = next_box(&mut rd, &mut sha)? else {
        return Err(Error::Mp4("video.mp4 is empty".into()));
    };
    if &kind != b"ftyp" {
        return Err(Error::Mp4("video.mp4 does not start with ftyp".into()));
    }
    let b = read_body(&mut rd, h, size, 4096, "ftyp")?;
    sha.update(&b[header_len(&b)..]);
    pos += size;
    // moov
    let Some((kind, size, h)) = next_box(&mut rd, &mut sha)? else {
        return Err(Error::Mp4("video.mp4 ends after ftyp".into()));
    };
    if &kind != b"moov" {
        return Err(Error::Mp4("moov must follow ftyp".into()));
    }
    let moov = read_body(&mut rd, h, size, 512 << 20, "moov")?;
    sha.update(&moov[header_len(&moov)..]);
    pos += size;
    let t: Tables = mp4::parse_moov(&moov)?;
    // mdat
    let Some((kind, size, h)) = next_box(&mut rd, &mut sha)? else {
        return Err(Error::Mp4("video.mp4 has no mdat".into()));
    };
    if &kind != b"mdat" {
        return Err(Error::Mp4("mdat must follow moov".into()));
    }
    let data_start = pos + h.len() as u64;
    let sum: u64 = t.sizes.iter().map(|s| u64::from(*s)).sum();
    if t.data_offset != data_start || size != h.len() as u64 + sum {
        return Err(Error::Mp4("the sample table does not describe the mdat box".into()));
    }
    pos += size;
    // Samples: hash each as it streams by; then align with the recorded frames.
    let sync: std::collections::HashSet<u32> = t.sync.iter().copied().collect();
    let mut actual: Vec<Hash> = Vec::with_capacity(t.sizes.len());
    let mut buf = Vec::new();
    for (i, s) in t.sizes.iter().enumerate() {
        if *s > media::segment::MAX_CHUNK {
            return Err(Error::Mp4(format!("sample {} is implausibly large", i + 1)));
        }
        buf.resize(*s as usize, 0);
        rd.read_exact(&mut buf)
            .map_err(|_| Error::Mp4(format!("the file ends inside sample {}", i + 1)))?;
        sha.update(&buf);
        actual.push(frame_hash(&buf));
    }
    // meta
    let sha_before_meta = sha.clone();
    let Some((kind, size, h)) = next_box(&mut rd, &mut sha)? else {
        return Err(Error::Mp4("video.mp4 has no meta box (ONVIF signature)".into()));
    };
    if &kind != b"meta" {
        return Err(Error::Mp4("meta must follow mdat".into()));
    }
    let meta = read_body(&mut rd, h, size, 1 << 20, "meta")?;
    sha.update(&meta[header_len(&meta)..]);
    pos += size;
    let mut rest = [0u8; 1];
    if rd.read(&mut rest)? != 0 {
        return Err(Error::Mp4("data after the meta box".into()));
    }
    if pos != total {
        return Err(Error::Mp4("the file size does not add up".into()));
    }
    let file_sha = hex::encode(sha.finalize());
    if file_sha != m.video.sha256 || total != m.video.bytes {
        r.fail(
            "video.hash",
            "video.mp4 は書き出されたファイルと異なります（SHA-256 不一致）",
            "video.mp4 is not the file that was exported (SHA-256 differs)",
        );
    }
    let info = mp4::parse_meta(&meta)?;
    if info.start_ms.is_none() {
        r.fail(
            "onvif.start",
            "MP4 に ONVIF の開始時刻 (cstb) がありません",
            "the MP4 has no ONVIF start time (cstb)",
        );
    }
    let onvif_signed = {
        let (at, len) = info.sibo;
        let sig = meta[at..at + len].to_vec();
        let mut zeroed = meta;
        zeroed[at..at + len].fill(0);
        let mut signed = sha_before_meta;
        signed.update(&zeroed);
        let digest: [u8; 32] = signed.finalize().into();
        city::verify_digest(&info.cert, &digest, &sig)
    };
    r.frames_checked = actual.len() as u64;
    match info.start_ms {
        // The ONVIF start time is the first frame's capture time. In a file the city's
        // signature covers, another value means a genuine export of another range was put in
        // this package, and a frame-by-frame list would only obscure that.
        Some(start) if start != m.delivered.from_ms && onvif_signed.is_ok() => {
            let want: std::collections::HashSet<Hash> =
                expected.iter().map(|e| e.leaf.hash).collect();
            let common = actual.iter().filter(|h| want.contains(*h)).count();
            r.frames_ok = common as u64;
            r.fail(
                "range.other",
                format!(
                    "video.mp4 は {} から始まる映像ですが、このパッケージの提供範囲は {} からです。別の範囲の映像に差し替えられています（{} フレーム中 {common} フレームのみ提供範囲と重なります）",
                    manifest::jst(start),
                    m.delivered.from,
                    actual.len()
                ),
                format!(
                    "video.mp4 is footage starting at {} (its ONVIF start time) but this package delivered footage from {}: the video of another time range was put in (only {common} of its {} frames fall in the delivered range)",
                    manifest::jst(start),
                    m.delivered.from,
                    actual.len()
                ),
            );
        }
        other => {
            if let Some(start) = other
                && start != m.delivered.from_ms
            {
                r.fail(
                    "onvif.start",
                    format!(
                        "MP4 の開始時刻 {} が提供範囲の開始 {} と異なります",
                        manifest::jst(start),
                        m.delivered.from
                    ),
                    format!(
                        "the MP4's start time {} is not the delivered range's start {}",
                        manifest::jst(start),
                        m.delivered.from
                    ),
                );
            }
            align(m, expected, &actual, &sync, r);
            // Durations follow the recorded times.
            if t.sizes.len() == expected.len() && r.frames_ok == expected.len() as u64 {
                let pts: Vec<i64> = expected.iter().map(|e| e.leaf.pts).collect();
                if mp4::durations(&pts) != t.durations || t.timescale != 90_000 {
                    r.fail(
                        "video.timing",
                        "MP4 の再生時間情報が記録時刻と一致しません",
                        "the MP4's sample durations do not follow the recorded times",
                    );
                }
            }
        }
    }
    if &info.scheme != b"oeff" {
        r.fail(
            "onvif.scheme",
            "ONVIF 署名方式 (oeff) ではありません",
            "the file signature scheme is not ONVIF 'oeff'",
        );
    }
    if info.source != m.camera.code {
        r.fail(
            "onvif.source",
            format!("MP4 のカメラ名 {} がマニフェストと異なります", info.source),
            format!("the MP4 names camera {}, the manifest {}", info.source, m.camera.code),
        );
    }
    let cert_sha = hex::encode(Sha256::digest(&info.cert));
    if cert_sha != m.video.city_cert_sha256 {
        r.fail(
            "onvif.cert",
            "MP4 の証明書がマニフェストの記載と異なります",
            "the certificate in the MP4 is not the one the manifest names",
        );
    }
    if let Some(pin) = &opts.city_cert
        && *pin != info.cert
    {
        r.fail(
            "onvif.cert",
            "MP4 の証明書が指定された市の証明書と異なります",
            "the certificate in the MP4 is not the city's certificate given",
        );
    }
    if let Err(e) = &onvif_signed {
        r.fail(
            "onvif.signature",
            format!("ONVIF ファイル署名が検証できません: {e}"),
            format!("the ONVIF file signature does not verify: {e}"),
        );
    }
    Ok(info.cert)
}

/// Matches the MP4's frames with the recorded ones and names every difference: a frame that
/// matches none (altered, or spliced from elsewhere), a recorded frame that is absent (missing),
/// one that appears out of order (reordered) or twice (duplicated), a wrong keyframe mark.
fn align(
    m: &Manifest,
    expected: &[Expected],
    actual: &[Hash],
    sync: &std::collections::HashSet<u32>,
    r: &mut Report,
) {
    let want: Vec<Hash> = expected.iter().map(|e| e.leaf.hash).collect();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut missing: Vec<usize> = Vec::new();
    let mut extra: Vec<(usize, usize)> = Vec::new(); // (sample, nearest expected)
    if want == actual {
        pairs.extend((0..want.len()).map(|i| (i, i)));
    } else {
        // Myers diff over the hash sequences, bounded in time for a hostile file.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let ops = similar::capture_diff_slices_deadline(
            similar::Algorithm::Myers,
            &want,
            actual,
            Some(deadline),
        );
        for op in ops {
            match op {
                similar::DiffOp::Equal { old_index, new_index, len } => {
                    pairs.extend((0..len).map(|k| (old_index + k, new_index + k)));
                }
                similar::DiffOp::Delete { old_index, old_len, .. } => {
                    missing.extend(old_index..old_index + old_len);
                }
                similar::DiffOp::Insert { old_index, new_index, new_len } => {
                    extra.extend((new_index..new_index + new_len).map(|i| (i, old_index)));
                }
                similar::DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                    missing.extend(old_index..old_index + old_len);
                    extra.extend(
                        (0..new_len).map(|k| (new_index + k, old_index + k.min(old_len - 1))),
                    );
                }
            }
        }
    }
    let mut findings: Vec<(&'static str, String, String)> = Vec::new();
    for (e, a) in &pairs {
        let key = sync.contains(&(*a as u32 + 1));
        if expected[*e].leaf.keyframe == key {
            r.frames_ok += 1;
        } else {
            let (ja, en) = name_frame(m, &expected[*e]);
            findings.push((
                "frame.keyframe",
                format!(
                    "MP4 の {} 番目のサンプル（{ja}）のキーフレーム表示が記録と異なります",
                    a + 1
                ),
                format!("MP4 sample {} ({en}) has a keyframe mark the recording does not", a + 1),
            ));
        }
    }
    let mut by_hash: HashMap<Hash, Vec<usize>> = HashMap::new();
    for j in &missing {
        by_hash.entry(want[*j]).or_default().push(*j);
    }
    let all: std::collections::HashSet<Hash> = want.iter().copied().collect();
    let mut found_later: std::collections::HashSet<usize> = std::collections::HashSet::new();
    for (a, near) in &extra {
        let h = actual[*a];
        if let Some(j) = by_hash.get_mut(&h).and_then(Vec::pop) {
            found_later.insert(j);
            let (ja, en) = name_frame(m, &expected[j]);
            findings.push((
                "frame.reordered",
                format!("MP4 の {} 番目のサンプルは{ja}ですが、順序が入れ替わっています", a + 1),
                format!("MP4 sample {} is {en}, out of its recorded order", a + 1),
            ));
        } else {
            let (ja, en) = expected.get(*near).map(|e| name_frame(m, e)).unwrap_or_default();
            if all.contains(&h) {
                findings.push((
                    "frame.duplicated",
                    format!(
                        "MP4 の {} 番目のサンプルは記録済みフレームの重複です（{ja} 付近）",
                        a + 1
                    ),
                    format!("MP4 sample {} repeats a recorded frame (near {en})", a + 1),
                ));
            } else {
                findings.push((
                    "frame.altered",
                    format!(
                        "MP4 の {} 番目のサンプルはどの記録フレームとも一致しません（改変、または他カメラからの差し込み。{ja} 付近）",
                        a + 1
                    ),
                    format!(
                        "MP4 sample {} matches no recorded frame: altered, or spliced from elsewhere (near {en})",
                        a + 1
                    ),
                ));
            }
        }
    }
    for j in missing.iter().filter(|j| !found_later.contains(j)) {
        let (ja, en) = name_frame(m, &expected[*j]);
        findings.push((
            "frame.missing",
            format!("{ja} が MP4 にありません（欠落）"),
            format!("{en} is missing from the MP4"),
        ));
    }
    let n = findings.len();
    for (code, ja, en) in findings.into_iter().take(MAX_FRAME_FINDINGS) {
        r.fail(code, ja, en);
    }
    if n > MAX_FRAME_FINDINGS {
        let more = n - MAX_FRAME_FINDINGS;
        r.fail(
            "frame.more",
            format!("ほか {more} 件のフレームの問題"),
            format!("and {more} more frame problems"),
        );
    }
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    sha: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(b)?;
        self.sha.update(&b[..n]);
        Ok(n)
    }
}

/// SHA-256 of `video.mp4` and the list of its top-level boxes, read however it is laid out.
fn survey(pkg: &mut Package) -> Result<(String, String), Error> {
    let (rd, total) = pkg.reader(package::VIDEO)?;
    let mut rd = Hashing { inner: rd, sha: Sha256::new() };
    let io = |e: std::io::Error| Error::Package(e.to_string());
    let mut kinds = Vec::new();
    let mut pos = 0u64;
    while pos + 8 <= total && kinds.len() < 64 {
        let mut h = [0u8; 8];
        rd.read_exact(&mut h).map_err(io)?;
        let (mut size, mut hl) = (u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]])), 8);
        if size == 1 && pos + 16 <= total {
            let mut l = [0u8; 8];
            rd.read_exact(&mut l).map_err(io)?;
            size = u64::from_be_bytes(l);
            hl = 16;
        } else if size == 0 {
            size = total - pos;
        }
        kinds.push(String::from_utf8_lossy(&h[4..8]).into_owned());
        if size < hl || pos + size > total {
            pos += hl;
            break;
        }
        std::io::copy(&mut (&mut rd).take(size - hl), &mut std::io::sink()).map_err(io)?;
        pos += size;
    }
    let _ = pos;
    std::io::copy(&mut rd, &mut std::io::sink()).map_err(io)?;
    let kinds = if kinds.is_empty() { "(none)".to_owned() } else { kinds.join(" ") };
    Ok((hex::encode(rd.sha.finalize()), kinds))
}

/// Length of a box header (8, or 16 with a 64-bit size) at the start of `b`.
fn header_len(b: &[u8]) -> usize {
    if b.len() >= 16 && b[..4] == [0, 0, 0, 1] { 16 } else { 8 }
}
