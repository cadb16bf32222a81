//! HEIC photos (HEIF, ISO/IEC 23008-12: ISO base media boxes) without their
//! metadata. The bytes of every `Exif` item (GPS position, camera) and every
//! `mime` item (XMP) are overwritten with zeros where they lie, so the file
//! keeps its layout and its pictures; how a picture is turned lives in its
//! `irot`/`imir` properties, which stay. A file whose metadata cannot be
//! located exactly is refused rather than stored with it.

use std::collections::HashMap;

/// A box: its type and where its payload starts and ends.
struct Box4 {
    kind: [u8; 4],
    start: usize,
    end: usize,
}

fn be(buf: &[u8], at: usize, size: usize) -> Option<u64> {
    let bytes = buf.get(at..at.checked_add(size)?)?;
    Some(bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b)))
}

fn to_usize(n: u64) -> Option<usize> {
    usize::try_from(n).ok()
}

/// The boxes in `buf[from..to]`, in order.
fn boxes(buf: &[u8], from: usize, to: usize) -> Option<Vec<Box4>> {
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        let (header, size) = match be(buf, at, 4)? {
            1 => (16, to_usize(be(buf, at + 8, 8)?)?),
            0 => (8, to - at),
            n => (8, to_usize(n)?),
        };
        let end = at.checked_add(size)?;
        if size < header || end > to {
            return None;
        }
        let kind: [u8; 4] = buf.get(at + 4..at + 8)?.try_into().ok()?;
        out.push(Box4 { kind, start: at + header, end });
        at = end;
    }
    Some(out)
}

fn find<'a>(list: &'a [Box4], kind: &[u8; 4]) -> Option<&'a Box4> {
    let mut found = list.iter().filter(|b| &b.kind == kind);
    let first = found.next()?;
    // Two boxes where the format allows one: refuse rather than guess.
    found.next().is_none().then_some(first)
}

/// The ids of the items that are metadata (`Exif`, `mime`), from `iinf`.
fn metadata_items(buf: &[u8], iinf: &Box4) -> Option<Vec<u32>> {
    let version = *buf.get(iinf.start)?;
    let entries_at = iinf.start + 4 + if version == 0 { 2 } else { 4 };
    let mut ids = Vec::new();
    for infe in boxes(buf, entries_at, iinf.end)?.iter().filter(|b| &b.kind == b"infe") {
        let version = *buf.get(infe.start)?;
        let (id, at) = match version {
            2 => (be(buf, infe.start + 4, 2)?, infe.start + 6),
            3 => (be(buf, infe.start + 4, 4)?, infe.start + 8),
            // Versions 0 and 1 name no item type.
            _ => return None,
        };
        let kind = buf.get(at + 2..at + 6)?;
        if kind == b"Exif" || kind == b"mime" {
            ids.push(u32::try_from(id).ok()?);
        }
    }
    Some(ids)
}

/// Where an item's bytes lie: (construction method, base offset, extents).
type Location = (u8, u64, Vec<(u64, u64)>);

/// Every item's location, from `iloc`.
fn locations(buf: &[u8], iloc: &Box4) -> Option<HashMap<u32, Location>> {
    let version = *buf.get(iloc.start)?;
    let mut at = iloc.start + 4;
    let sizes = be(buf, at, 2)?;
    let (offset_size, length_size, base_size) = ((sizes >> 12) & 15, (sizes >> 8) & 15, (sizes >> 4) & 15);
    let index_size = if version >= 1 { sizes & 15 } else { 0 };
    at += 2;
    let (count, id_size) = if version < 2 { (be(buf, at, 2)?, 2) } else { (be(buf, at, 4)?, 4) };
    at += id_size;
    let mut out = HashMap::new();
    for _ in 0..count {
        let id = u32::try_from(be(buf, at, id_size)?).ok()?;
        at += id_size;
        let method = if version >= 1 {
            at += 2;
            (be(buf, at - 2, 2)? & 15) as u8
        } else {
            0
        };
        at += 2; // data reference index
        let base = be(buf, at, to_usize(base_size)?)?;
        at += to_usize(base_size)?;
        let extents = be(buf, at, 2)?;
        at += 2;
        let mut list = Vec::new();
        for _ in 0..extents {
            at += to_usize(index_size)?;
            let offset = be(buf, at, to_usize(offset_size)?)?;
            at += to_usize(offset_size)?;
            let length = be(buf, at, to_usize(length_size)?)?;
            at += to_usize(length_size)?;
            list.push((offset, length));
        }
        out.insert(id, (method, base, list));
    }
    Some(out)
}

/// The HEIC file without its metadata; `None` when it is not one this code
/// can read to the end.
pub fn strip_metadata(mut buf: Vec<u8>) -> Option<Vec<u8>> {
    let top = boxes(&buf, 0, buf.len())?;
    let meta = find(&top, b"meta")?;
    // `meta` is a full box: version and flags come before its children.
    let children = boxes(&buf, meta.start + 4, meta.end)?;
    let Some(iinf) = find(&children, b"iinf") else { return Some(buf) };
    let targets = metadata_items(&buf, iinf)?;
    if targets.is_empty() {
        return Some(buf);
    }
    let located = locations(&buf, find(&children, b"iloc")?)?;
    let idat = children.iter().find(|b| &b.kind == b"idat").map(|b| b.start);
    let mut ranges = Vec::new();
    for id in targets {
        let (method, base, extents) = located.get(&id)?;
        let origin = match method {
            0 => 0,
            1 => idat? as u64,
            // Items built from other items: not something metadata is.
            _ => return None,
        };
        for (offset, length) in extents {
            if *length == 0 {
                return None;
            }
            let start = to_usize(origin.checked_add(*base)?.checked_add(*offset)?)?;
            let end = start.checked_add(to_usize(*length)?)?;
            if end > buf.len() {
                return None;
            }
            ranges.push(start..end);
        }
    }
    for range in ranges {
        buf.get_mut(range)?.fill(0);
    }
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_whole_heif_file_is_refused() {
        assert!(strip_metadata(b"\0\0\0\x18ftypheic".to_vec()).is_none(), "a box running past the end");
        assert!(strip_metadata(b"\0\0\0\x10ftypheic\0\0\0\0".to_vec()).is_none(), "no meta box");
    }
}
