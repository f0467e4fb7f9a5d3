//! The mutator: deterministic, seeded, format-aware only through the offsets and tokens a reader
//! hands it.
//!
//! Input `i` of a run with seed `s` is a function of `(s, i)` alone, so any input the harness
//! reports is reproduced by `--seed s --only i`, however long the run before it was. Each input
//! stacks one to four mutations of one corpus file:
//!
//! - a bit flip;
//! - a byte set to an interesting value (0, 0xff, 0x7f, 0x80);
//! - a 32-bit big- or little-endian 0, 1, 2^31 or 2^32-1 written at a header offset (the places
//!   where a format keeps its sizes and counts);
//! - a small addition to a byte or a 32-bit field at a header offset;
//! - truncation at a boundary of the format (a header field, a chunk, a JSON token), one byte
//!   either side of it, or anywhere;
//! - insertion of a run of bytes (random, one byte repeated, or a copy of another part);
//! - deletion of a run of bytes;
//! - a token of the format's dictionary inserted or written over (`1e999`, `"`, `IDAT`, ...);
//! - a splice: the head of this file joined to the tail of another corpus file.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Bytes that break parsers most often.
pub const INTERESTING_8: [u8; 4] = [0, 0xff, 0x7f, 0x80];
/// Sizes and counts that break parsers most often: zero, one, the sign bit, the largest.
pub const INTERESTING_32: [u32; 4] = [0, 1, 1 << 31, u32::MAX];

/// What a reader tells the mutator about its format.
pub struct Format {
    /// The offsets where fields, chunks or tokens of `input` start (sorted or not).
    pub boundaries: fn(&[u8]) -> Vec<usize>,
    /// Tokens worth inserting (the format's keywords, markers and extreme numbers).
    pub dictionary: &'static [&'static [u8]],
    /// Applied to half the inputs after mutation: repairs checksums (PNG's chunk CRCs) so that
    /// lying fields reach the decoder instead of stopping at the checksum.
    pub fixup: Option<fn(&mut Vec<u8>)>,
}

/// The random source of one input.
pub struct Mutator {
    rng: StdRng,
}

impl Mutator {
    /// The mutator of input `index` of a run with seed `seed`.
    pub fn for_input(seed: u64, index: u64) -> Self {
        // splitmix64 of both, so that neighbouring indices are unrelated streams.
        let mut z = seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self {
            rng: StdRng::seed_from_u64(z ^ (z >> 31)),
        }
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n)
    }

    /// A mutation of `input` (one to four stacked edits); `other` is the splice partner.
    pub fn mutate(&mut self, input: &[u8], other: &[u8], format: &Format) -> Vec<u8> {
        let mut data = input.to_vec();
        let boundaries = (format.boundaries)(input);
        let edits = 1 + self.below(4);
        for _ in 0..edits {
            self.edit(&mut data, other, &boundaries, format.dictionary);
        }
        if let Some(fix) = format.fixup.filter(|_| self.rng.random_bool(0.5)) {
            fix(&mut data);
        }
        data
    }

    fn offset(&mut self, len: usize, boundaries: &[usize]) -> usize {
        let near: Vec<usize> = boundaries.iter().copied().filter(|&b| b < len).collect();
        match near.is_empty() || self.rng.random_bool(0.4) {
            true => self.below(len.max(1)),
            false => near[self.below(near.len())],
        }
    }

    fn edit(&mut self, data: &mut Vec<u8>, other: &[u8], boundaries: &[usize], dict: &[&[u8]]) {
        let len = data.len();
        match self.below(10) {
            0 if len > 0 => {
                let i = self.below(len);
                data[i] ^= 1 << self.below(8);
            }
            1 if len > 0 => {
                let i = self.offset(len, boundaries);
                data[i] = INTERESTING_8[self.below(4)];
            }
            2 if len >= 4 => {
                let i = self.offset(len - 3, boundaries);
                let v = INTERESTING_32[self.below(4)];
                let bytes = match self.rng.random_bool(0.5) {
                    true => v.to_be_bytes(),
                    false => v.to_le_bytes(),
                };
                data[i..i + 4].copy_from_slice(&bytes);
            }
            3 if len >= 4 => {
                let i = self.offset(len - 3, boundaries);
                let delta = self.rng.random_range(-35i64..=35) as u32;
                let be = self.rng.random_bool(0.5);
                let field: [u8; 4] = data[i..i + 4].try_into().unwrap();
                let v = match be {
                    true => u32::from_be_bytes(field).wrapping_add(delta).to_be_bytes(),
                    false => u32::from_le_bytes(field).wrapping_add(delta).to_le_bytes(),
                };
                data[i..i + 4].copy_from_slice(&v);
            }
            4 => {
                let at = match self.below(4) {
                    0 => self.below(len + 1),
                    1 => self.offset(len, boundaries).saturating_sub(1),
                    2 => (self.offset(len, boundaries) + 1).min(len),
                    _ => self.offset(len, boundaries),
                };
                data.truncate(at);
            }
            5 => {
                let at = self.offset(len, boundaries).min(len);
                let n = 1 + self.below(64);
                let run: Vec<u8> = match self.below(3) {
                    0 => (0..n).map(|_| self.rng.random()).collect(),
                    1 => vec![INTERESTING_8[self.below(4)]; n],
                    _ if len > 0 => {
                        let from = self.below(len);
                        data[from..(from + n).min(len)].to_vec()
                    }
                    _ => vec![0; n],
                };
                data.splice(at..at, run);
            }
            6 if len > 0 => {
                let at = self.offset(len, boundaries);
                let n = 1 + self.below(64.min(len - at).max(1));
                data.drain(at..(at + n).min(len));
            }
            7 if !dict.is_empty() => {
                let token = dict[self.below(dict.len())];
                let at = self.offset(len, boundaries).min(len);
                match self.rng.random_bool(0.5) {
                    true => drop(data.splice(at..at, token.iter().copied())),
                    false => {
                        let end = (at + token.len()).min(len);
                        drop(data.splice(at..end, token.iter().copied()));
                    }
                }
            }
            8 if !other.is_empty() => {
                let head = self.offset(len, boundaries).min(len);
                let tail = self.below(other.len());
                data.truncate(head);
                data.extend_from_slice(&other[tail..]);
            }
            _ if len > 0 => {
                // Repeat a run in place: lengths and counts that no longer match their data.
                let at = self.below(len);
                let n = 1 + self.below(16.min(len - at));
                let run = data[at..at + n].to_vec();
                let times = 1 + self.below(8);
                for _ in 0..times {
                    data.splice(at..at, run.iter().copied());
                }
            }
            _ => data.extend_from_slice(&[0xff; 4]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_boundaries(_: &[u8]) -> Vec<usize> {
        vec![0, 4]
    }

    const FORMAT: Format = Format {
        boundaries: no_boundaries,
        dictionary: &[b"IDAT"],
        fixup: None,
    };

    #[test]
    fn an_input_is_a_function_of_seed_and_index_alone() {
        let seed = b"0123456789abcdef";
        let a = Mutator::for_input(7, 1234).mutate(seed, b"xyz", &FORMAT);
        let b = Mutator::for_input(7, 1234).mutate(seed, b"xyz", &FORMAT);
        assert_eq!(a, b);
        let differ = (0..64)
            .filter(|&i| Mutator::for_input(7, i).mutate(seed, b"xyz", &FORMAT) != a)
            .count();
        assert!(differ > 50, "{differ} of 64 neighbouring inputs differ");
    }

    #[test]
    fn mutations_change_lengths_and_contents() {
        let seed = [0x11u8; 32];
        let outs: Vec<Vec<u8>> = (0..500)
            .map(|i| Mutator::for_input(1, i).mutate(&seed, &[0x22; 8], &FORMAT))
            .collect();
        assert!(outs.iter().any(|o| o.len() < 32));
        assert!(outs.iter().any(|o| o.len() > 32));
        assert!(outs
            .iter()
            .any(|o| o.windows(4).any(|w| w == [0x80, 0, 0, 0])));
        assert!(outs.iter().any(|o| o.windows(4).any(|w| w == b"IDAT")));
        assert!(outs.iter().any(|o| o.contains(&0x22)));
    }
}
