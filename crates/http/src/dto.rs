//! Wire shapes shared by several resources, and serde helpers.

use serde::{Deserialize, Deserializer};

/// For PATCH bodies: absent → `None` (leave alone), `null` → `Some(None)`
/// (clear), a value → `Some(Some(v))` (set).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
