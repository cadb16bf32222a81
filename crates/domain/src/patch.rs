//! PATCH semantics shared by every resource's changes: a field may be set,
//! cleared (`null`, for nullable fields) or left alone (absent).

/// A field a PATCH may set or leave alone.
pub type Patch<T> = Option<T>;
/// A nullable field a PATCH may set, clear or leave alone.
pub type NullablePatch<T> = Option<Option<T>>;

/// The patched value, or the current one when the patch leaves it alone.
pub fn pick<T: Clone>(patch: &Option<T>, current: &T) -> T {
    patch.clone().unwrap_or_else(|| current.clone())
}

/// Wire names of the fields a patch touches, for the audit log:
/// `touched([("title", self.title.is_some()), …])`.
pub fn touched<const N: usize>(fields: [(&'static str, bool); N]) -> Vec<&'static str> {
    fields.into_iter().filter_map(|(name, set)| set.then_some(name)).collect()
}
