//! The peer's output protocol: one observation per line on stdout,
//! `TAG key=value ...`, values without spaces, flushed at once so the C side
//! can react while we are still running. Logging goes to stderr.

use std::io::Write;

use roam_types::{MetadataEntry, MetadataFlags, MetadataValue};

/// Set by `bench-serve`: the per-call and per-open observations are not
/// printed (a line and a flush per call would be what a benchmark measures).
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_quiet() {
    QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// A per-call or per-open observation (SERVED, INBOUND_OPEN, ...): a line,
/// unless quiet.
pub fn event(text: impl AsRef<str>) {
    if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        line(text);
    }
}

/// Prints one line and flushes.
pub fn line(text: impl AsRef<str>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", text.as_ref());
    let _ = out.flush();
}

/// Text safe for one value: spaces become underscores.
pub fn word(text: &str) -> String {
    text.replace([' ', '\n', '\t'], "_")
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn flag_bits(flags: MetadataFlags) -> u64 {
    let mut bits = 0;
    if flags.contains(MetadataFlags::SENSITIVE) {
        bits |= 1;
    }
    if flags.contains(MetadataFlags::NO_PROPAGATE) {
        bits |= 2;
    }
    bits
}

/// `md=` rendering: `key:s:<text>:<flags>`, `key:b:<hex>:<flags>`,
/// `key:u:<n>:<flags>`, comma-separated.
pub fn metadata(entries: &[MetadataEntry<'_>]) -> String {
    let parts: Vec<String> = entries
        .iter()
        .map(|e| {
            let value = match &e.value {
                MetadataValue::String(s) => format!("s:{}", word(s)),
                MetadataValue::Bytes(b) => format!("b:{}", hex(b)),
                MetadataValue::U64(n) => format!("u:{n}"),
            };
            format!("{}:{}:{}", word(e.key), value, flag_bits(e.flags))
        })
        .collect();
    format!("md={}", parts.join(","))
}

/// The first string value under `key`, if any.
pub fn string_value<'a>(entries: &'a [MetadataEntry<'a>], key: &str) -> Option<&'a str> {
    entries.iter().find_map(|e| match (&e.value, e.key == key) {
        (MetadataValue::String(s), true) => Some(*s),
        _ => None,
    })
}

/// A one-entry string metadata list.
pub fn md1(key: &'static str, value: &'static str) -> Vec<MetadataEntry<'static>> {
    vec![MetadataEntry {
        key,
        value: MetadataValue::String(value),
        flags: MetadataFlags::NONE,
    }]
}
