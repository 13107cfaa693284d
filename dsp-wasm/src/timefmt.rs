//! Times as musicians read them: `m:ss`.

/// Formats seconds as `m:ss` (or `h:mm:ss` past an hour).
pub fn mmss(seconds: f64) -> String {
    let total = if seconds.is_finite() {
        seconds.max(0.0).round() as u64
    } else {
        0
    };
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Formats a range as `m:ss–m:ss`.
pub fn range(start_s: f64, end_s: f64) -> String {
    format!("{}–{}", mmss(start_s), mmss(end_s))
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::mmss(62.4), "1:02");
        assert_eq!(super::mmss(3723.0), "1:02:03");
        assert_eq!(super::range(62.0, 95.0), "1:02–1:35");
    }
}
