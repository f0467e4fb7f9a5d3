//! A check of a MessagePack document's lengths before it is decoded.
//!
//! Checkpoint files are burn's named MessagePack records. Decoders reserve room from the length
//! an array announces (the `smallvec` of a tensor's shape does, through serde), so a corrupt
//! length of 2^31 asks for 16 GiB before a single element is read: the allocator fails or the
//! process aborts. [`check_lengths`] walks the document first and refuses any array, map,
//! string or binary whose announced length does not fit in the bytes that follow it (every
//! element takes at least one byte), so nothing is ever reserved for data that is not there.

/// Walks one MessagePack value at the start of `bytes`; `Err` says what is wrong and where.
pub fn check_lengths(bytes: &[u8]) -> Result<(), String> {
    let mut at = 0usize;
    // Values still to read: the whole document is one value.
    let mut pending: usize = 1;
    while pending > 0 {
        pending -= 1;
        let marker = *bytes
            .get(at)
            .ok_or_else(|| format!("ends at byte {at} inside a value"))?;
        let start = at;
        at += 1;
        let mut field = |n: usize| -> Result<usize, String> {
            let b = bytes
                .get(at..at + n)
                .ok_or_else(|| format!("ends at byte {} inside a length", bytes.len()))?;
            at += n;
            Ok(b.iter().fold(0usize, |v, &x| (v << 8) | x as usize))
        };
        // (bytes of payload, values inside)
        let (payload, children) = match marker {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
            0x80..=0x8f => (0, 2 * (marker & 0x0f) as usize),
            0x90..=0x9f => (0, (marker & 0x0f) as usize),
            0xa0..=0xbf => ((marker & 0x1f) as usize, 0),
            0xc4 | 0xd9 => (field(1)?, 0),
            0xc5 | 0xda => (field(2)?, 0),
            0xc6 | 0xdb => (field(4)?, 0),
            0xc7 => (field(1)? + 1, 0),
            0xc8 => (field(2)? + 1, 0),
            0xc9 => (field(4)? + 1, 0),
            0xca => (4, 0),
            0xcb => (8, 0),
            0xcc | 0xd0 => (1, 0),
            0xcd | 0xd1 => (2, 0),
            0xce | 0xd2 => (4, 0),
            0xcf | 0xd3 => (8, 0),
            0xd4 => (2, 0),
            0xd5 => (3, 0),
            0xd6 => (5, 0),
            0xd7 => (9, 0),
            0xd8 => (17, 0),
            0xdc => (0, field(2)?),
            0xdd => (0, field(4)?),
            0xde => (0, 2 * field(2)?),
            0xdf => (0, 2 * field(4)?),
            0xc1 => {
                return Err(format!(
                    "byte {start} is 0xc1, which MessagePack never uses"
                ))
            }
        };
        let left = bytes.len() - at;
        if payload > left || children > left {
            return Err(format!(
                "the value at byte {start} announces {} but only {left} bytes follow",
                match payload > 0 {
                    true => format!("{payload} bytes"),
                    false => format!("{children} elements"),
                }
            ));
        }
        at += payload;
        pending += children;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_whose_lengths_fit_passes() {
        // {"a": [1, "xy", bin[0xff]]}
        let doc = [
            0x81, 0xa1, b'a', 0x93, 0x01, 0xa2, b'x', b'y', 0xc4, 0x01, 0xff,
        ];
        assert_eq!(check_lengths(&doc), Ok(()));
    }

    #[test]
    fn an_array_longer_than_the_file_is_refused() {
        let doc = [0xdd, 0x80, 0x00, 0x00, 0x00, 0x01, 0x02];
        let err = check_lengths(&doc).unwrap_err();
        assert!(
            err.contains("announces 2147483648 elements but only 2 bytes follow"),
            "{err}"
        );
    }

    #[test]
    fn truncated_strings_and_lengths_are_refused() {
        assert!(check_lengths(&[0xa5, b'a']).is_err());
        assert!(check_lengths(&[0xc6, 0x00, 0x00]).is_err());
        assert!(check_lengths(&[0x92, 0x01]).is_err());
        assert!(check_lengths(&[]).is_err());
    }
}
