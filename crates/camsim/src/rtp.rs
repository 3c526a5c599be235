//! H.264 over RTP (RFC 6184): single NAL unit packets and FU-A fragments, packetization mode 1.

/// Largest RTP payload we send (fits a 1500-byte MTU with headers to spare).
pub const MAX_PAYLOAD: usize = 1400;

/// Payloads of one access unit, in order; the last carries the marker bit.
pub fn payloads(nals: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for nal in nals {
        if nal.is_empty() {
            continue;
        }
        if nal.len() <= MAX_PAYLOAD {
            out.push(nal.to_vec());
            continue;
        }
        let header = nal[0];
        let indicator = (header & 0xe0) | 28;
        let kind = header & 0x1f;
        let body = &nal[1..];
        let chunks: Vec<&[u8]> = body.chunks(MAX_PAYLOAD - 2).collect();
        for (i, c) in chunks.iter().enumerate() {
            let mut fu = kind;
            if i == 0 {
                fu |= 0x80;
            }
            if i + 1 == chunks.len() {
                fu |= 0x40;
            }
            let mut p = Vec::with_capacity(c.len() + 2);
            p.push(indicator);
            p.push(fu);
            p.extend_from_slice(c);
            out.push(p);
        }
    }
    out
}

/// Appends one interleaved RTP packet (`$`, channel, length, 12-byte header, payload) to `buf`.
#[allow(clippy::too_many_arguments)]
pub fn push_interleaved(
    buf: &mut Vec<u8>,
    channel: u8,
    marker: bool,
    seq: u16,
    ts: u32,
    ssrc: u32,
    payload: &[u8],
) {
    let len = (12 + payload.len()) as u16;
    buf.push(b'$');
    buf.push(channel);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.push(0x80);
    buf.push(96 | if marker { 0x80 } else { 0 });
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&ts.to_be_bytes());
    buf.extend_from_slice(&ssrc.to_be_bytes());
    buf.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_nals_are_fragmented_with_start_and_end_bits() {
        let nal: Vec<u8> = std::iter::once(0x65).chain(std::iter::repeat_n(7, 5000)).collect();
        let p = payloads(&[&nal]);
        assert!(p.len() > 3);
        assert_eq!(p[0][0] & 0x1f, 28);
        assert_eq!(p[0][1] & 0x80, 0x80);
        assert_eq!(p.last().unwrap()[1] & 0x40, 0x40);
        let rebuilt: Vec<u8> =
            std::iter::once(0x65).chain(p.iter().flat_map(|x| x[2..].to_vec())).collect();
        assert_eq!(rebuilt, nal);
    }
}
