//! Merkle trees over a segment's frames, after RFC 6962 (Certificate Transparency) with BLAKE3:
//! leaf hash `H(0x00 ‖ leaf)`, node hash `H(0x01 ‖ left ‖ right)`, the tree split at the largest
//! power of two below the leaf count. Domain-separated so these hashes never collide with others.

/// A 32-byte hash.
pub type Hash = [u8; 32];

fn h(parts: &[&[u8]]) -> Hash {
    let mut hasher = blake3::Hasher::new_derive_key("mimamori merkle v1");
    for p in parts {
        hasher.update(p);
    }
    *hasher.finalize().as_bytes()
}

/// The hash of one leaf.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    h(&[&[0], leaf])
}

fn node_hash(l: &Hash, r: &Hash) -> Hash {
    h(&[&[1], l, r])
}

/// The root over already-hashed leaves (`leaf_hash` of each). The empty tree's root is
/// `H("")` under the same domain.
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes.len() {
        0 => h(&[]),
        1 => leaf_hashes[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaf_hashes[..k]), &root(&leaf_hashes[k..]))
        }
    }
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The audit path proving leaf `index` is in the tree (RFC 6962 §2.1.1).
pub fn proof(leaf_hashes: &[Hash], index: usize) -> Vec<Hash> {
    let n = leaf_hashes.len();
    if n <= 1 || index >= n {
        return Vec::new();
    }
    let k = split(n);
    if index < k {
        let mut p = proof(&leaf_hashes[..k], index);
        p.push(root(&leaf_hashes[k..]));
        p
    } else {
        let mut p = proof(&leaf_hashes[k..], index - k);
        p.push(root(&leaf_hashes[..k]));
        p
    }
}

/// Checks an audit path: does leaf `index` of a tree of `size` leaves with hash `leaf` lead to
/// `root`?
pub fn verify_proof(
    leaf: &Hash,
    index: usize,
    size: usize,
    path: &[Hash],
    expected_root: &Hash,
) -> bool {
    fn walk(leaf: Hash, index: usize, size: usize, path: &[Hash]) -> Option<Hash> {
        if size <= 1 {
            return path.is_empty().then_some(leaf);
        }
        let (last, rest) = path.split_last()?;
        let k = split(size);
        if index < k {
            Some(node_hash(&walk(leaf, index, k, rest)?, last))
        } else {
            Some(node_hash(last, &walk(leaf, index - k, size - k, rest)?))
        }
    }
    index < size && walk(*leaf, index, size, path).is_some_and(|r| &r == expected_root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&(i as u64).to_le_bytes())).collect()
    }

    #[test]
    fn every_proof_verifies_and_a_wrong_one_does_not() {
        for n in 1..40 {
            let l = leaves(n);
            let r = root(&l);
            for i in 0..n {
                let p = proof(&l, i);
                assert!(verify_proof(&l[i], i, n, &p, &r), "n={n} i={i}");
                if n > 1 {
                    assert!(!verify_proof(&l[(i + 1) % n], i, n, &p, &r));
                }
            }
        }
    }

    #[test]
    fn order_matters() {
        let mut l = leaves(8);
        let r = root(&l);
        l.swap(2, 3);
        assert_ne!(root(&l), r);
    }
}
