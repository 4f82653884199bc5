//! Document ids laid out like MongoDB ObjectIds, so data exported from the original keeps its ids.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 12-byte id: 4 bytes of seconds since the epoch, 5 random bytes fixed per process, and a
/// 3-byte counter. Written as 24 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId([u8; 12]);

/// The text is not 24 hex characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a valid id")]
pub struct InvalidId;

struct ProcessPart {
    random: [u8; 5],
    counter: AtomicU32,
}

fn process_part() -> &'static ProcessPart {
    static PART: OnceLock<ProcessPart> = OnceLock::new();
    PART.get_or_init(|| {
        let seed: [u8; 8] = rand::random();
        ProcessPart {
            random: [seed[0], seed[1], seed[2], seed[3], seed[4]],
            counter: AtomicU32::new(u32::from_le_bytes([seed[5], seed[6], seed[7], 0])),
        }
    })
}

impl ObjectId {
    /// A new id for the current second.
    pub fn new() -> ObjectId {
        let secs = chrono::Utc::now().timestamp().clamp(0, i64::from(u32::MAX)) as u32;
        ObjectId::at(secs)
    }

    fn at(secs: u32) -> ObjectId {
        let part = process_part();
        let count = part.counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&secs.to_be_bytes());
        b[4..9].copy_from_slice(&part.random);
        b[9..].copy_from_slice(&count.to_be_bytes()[1..]);
        ObjectId(b)
    }

    /// Parses 24 hex characters (either case).
    pub fn parse(text: &str) -> Result<ObjectId, InvalidId> {
        if text.len() != 24 {
            return Err(InvalidId);
        }
        let mut b = [0u8; 12];
        hex::decode_to_slice(text, &mut b).map_err(|_| InvalidId)?;
        Ok(ObjectId(b))
    }

    /// Seconds since the epoch at which the id was made.
    pub fn timestamp_secs(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl Default for ObjectId {
    fn default() -> Self {
        ObjectId::new()
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({})", self.to_hex())
    }
}

impl FromStr for ObjectId {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObjectId::parse(s)
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ObjectId, D::Error> {
        let s = String::deserialize(d)?;
        ObjectId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_object_id_layout() {
        let a = ObjectId::at(0x6543_2100);
        let b = ObjectId::at(0x6543_2100);
        assert_eq!(a.to_hex().len(), 24);
        assert_eq!(&a.to_hex()[..8], "65432100");
        assert_eq!(a.0[4..9], b.0[4..9], "process part is fixed");
        assert_ne!(a, b, "counter differs");
        assert_eq!(ObjectId::parse(&a.to_hex()).unwrap(), a);
        assert_eq!(ObjectId::parse(&a.to_hex().to_uppercase()).unwrap(), a);
    }

    #[test]
    fn malformed_ids_are_refused() {
        for t in [
            "",
            "123",
            "zzzzzzzzzzzzzzzzzzzzzzzz",
            "0123456789abcdef012345678",
            "0123456789abcdef0123456 ",
        ] {
            assert_eq!(ObjectId::parse(t), Err(InvalidId), "{t:?}");
        }
    }

    #[test]
    fn new_ids_are_unique() {
        let ids: std::collections::HashSet<_> = (0..10_000).map(|_| ObjectId::new()).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
