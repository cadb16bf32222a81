//! What a client's `If-Match` demands of a resource's current version
//! (RFC 9110 §13.1.1): one of the strong entity-tags it sent. A weak tag
//! (`W/"3"`) or a tag this API never issued (`"abc"`) never matches.

use crate::error::DomainError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Precondition {
    /// No `If-Match`, or `If-Match: *`: whatever the current version.
    #[default]
    Unconditional,
    /// One of these versions; empty when no tag sent can match.
    OneOf(Vec<i64>),
}

impl Precondition {
    /// 412 (with the current version) unless the condition holds.
    pub fn check(&self, current: i64) -> Result<(), DomainError> {
        match self {
            Precondition::OneOf(versions) if !versions.contains(&current) => {
                Err(DomainError::PreconditionFailed { current })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_listed_version_matches_and_nothing_else() {
        assert_eq!(Precondition::Unconditional.check(7), Ok(()));
        let list = Precondition::OneOf(vec![3, 4]);
        assert_eq!(list.check(4), Ok(()));
        assert_eq!(list.check(5), Err(DomainError::PreconditionFailed { current: 5 }));
        assert_eq!(Precondition::OneOf(vec![]).check(1), Err(DomainError::PreconditionFailed { current: 1 }));
    }
}
