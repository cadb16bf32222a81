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

/// The fields after a patch is applied: each named field is the patch's value
/// where it sets one, else the current value; fields in braces are given as
/// they are. `patched!(PlanFields {}, self, current; title, goal)`.
#[macro_export]
macro_rules! patched {
    ($fields:ident { $($given:ident),* }, $patch:expr, $current:expr; $($field:ident),+ $(,)?) => {
        $fields { $($given,)* $($field: $crate::patch::pick(&$patch.$field, &$current.$field)),+ }
    };
}

/// Wire names of the fields a patch touches, for the audit log:
/// `touched!(self, title, goal)` lists `"title"` when `self.title` is set.
/// A field's wire name is its Rust name.
#[macro_export]
macro_rules! touched {
    ($patch:expr, $($field:ident),+ $(,)?) => {
        [$((stringify!($field), $patch.$field.is_some())),+]
            .into_iter()
            .filter_map(|(name, set)| set.then_some(name))
            .collect::<Vec<&'static str>>()
    };
}
