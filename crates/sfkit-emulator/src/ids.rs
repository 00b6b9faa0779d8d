//! Record ids: 15 case-sensitive characters (a 3-character key prefix and 12 more), plus a
//! 3-character checksum that makes the 18-character form case-insensitively unique.
//!
//! The emulator hands out 18-character ids and accepts either form, as Salesforce does. Ids are
//! the key prefix, the org's marker character, and a base-62 sequence number, so they sort in
//! creation order.

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CHECKSUM: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// The character after the key prefix in every id this org mints.
const ORG_MARKER: char = 'S';

/// The three checksum characters of a 15-character id.
fn checksum(id15: &str) -> String {
    id15.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            char::from(CHECKSUM.get(bits).copied().unwrap_or(b'A'))
        })
        .collect()
}

/// The 18-character id for `prefix` and sequence number `n`.
pub fn mint(prefix: &str, n: u64) -> String {
    let mut digits = [b'0'; 11];
    let mut rest = n;
    for d in digits.iter_mut().rev() {
        *d = BASE62.get((rest % 62) as usize).copied().unwrap_or(b'0');
        rest /= 62;
    }
    let mut id15 = String::with_capacity(18);
    id15.push_str(prefix);
    id15.push(ORG_MARKER);
    id15.extend(digits.iter().map(|&b| char::from(b)));
    let sum = checksum(&id15);
    id15 + &sum
}

/// The 18-character form of a 15- or 18-character id, or `None` if `s` is not shaped like an id
/// (or its checksum is wrong).
pub fn normalize(s: &str) -> Option<String> {
    if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match s.len() {
        15 => Some(format!("{s}{}", checksum(s))),
        18 => {
            let (id15, sum) = s.split_at(15);
            // The checksum is case-insensitive; the 15-character part is not.
            checksum(id15)
                .eq_ignore_ascii_case(sum)
                .then(|| format!("{id15}{}", checksum(id15)))
        }
        _ => None,
    }
}

/// The sequence number inside an id this org minted.
pub fn sequence(id: &str) -> Option<u64> {
    let bytes = id.as_bytes();
    if bytes.get(3).copied() != Some(ORG_MARKER as u8) {
        return None;
    }
    bytes.get(4..15)?.iter().try_fold(0u64, |acc, b| {
        let digit = BASE62.iter().position(|x| x == b)? as u64;
        acc.checked_mul(62)?.checked_add(digit)
    })
}

/// The key prefix of an id.
pub fn prefix(id: &str) -> &str {
    id.get(..3).unwrap_or("")
}

/// The 15-character form, as some error messages quote it.
pub fn short(id: &str) -> &str {
    id.get(..15).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_of_real_ids() {
        for id in [
            "001D000000IqhSLIAZ",
            "0018a00001rBqb8AAC",
            "00Di0000000icUBEAY",
            "a00D0000008pQRAIA2",
        ] {
            assert_eq!(normalize(&id[..15]).as_deref(), Some(id));
            assert_eq!(normalize(id).as_deref(), Some(id));
            assert!(normalize(&id.to_ascii_lowercase()[..]).is_none());
        }
    }

    #[test]
    fn minted_ids_are_valid_and_ordered() {
        let a = mint("001", 1);
        let b = mint("001", 2);
        assert_eq!(a.len(), 18);
        assert_eq!(normalize(&a).as_deref(), Some(a.as_str()));
        assert!(a[..15] < b[..15]);
        assert_eq!(prefix(&a), "001");
        assert_eq!(sequence(&a), Some(1));
        assert_eq!(sequence(&mint("003", 987_654_321)), Some(987_654_321));
        assert!(normalize("001S0000000001").is_none());
        assert!(normalize("001S00000000001'; DROP").is_none());
    }
}
