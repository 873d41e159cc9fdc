//! Number formatting shared by every human-facing output.

/// A value for people: precision follows magnitude, so 7.013 ms and 1234.5 tok/s both read well.
pub fn human(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if a >= 1e9 {
        // No benchmark figure is this large; printed whole it would fill the screen.
        format!("{v:.2e}")
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.001 {
        format!("{v:.3}")
    } else {
        // Three decimals would print a small non-zero value as 0.000.
        format!("{v:.2e}")
    }
}

/// A signed percentage, e.g. `+12.3%`.
pub fn pct(v: f64) -> String {
    format!("{v:+.1}%")
}

/// A human value or a dash when missing.
pub fn human_opt(v: Option<f64>) -> String {
    v.map(human).unwrap_or_else(|| "-".into())
}

/// The load of a point for people: its concurrency (after `conc_prefix`), or `bs N` for a
/// point whose axis is the max batch size, or `missing`.
pub fn load_text(
    concurrency: Option<u64>,
    max_batch_size: Option<u64>,
    conc_prefix: &str,
    missing: &str,
) -> String {
    match (concurrency, max_batch_size) {
        (Some(c), _) => format!("{conc_prefix}{c}"),
        (None, Some(bs)) => format!("bs {bs}"),
        (None, None) => missing.to_string(),
    }
}

/// A magnitude in percent without a sign, as few digits as it needs: `15%`, `7.5%`, `89.6%`.
pub fn pct_plain(v: f64) -> String {
    let s = format!("{v:.1}");
    format!("{}%", s.strip_suffix(".0").unwrap_or(&s))
}

/// Text as XML attribute or element content (junit.xml, report.html's SVG): the five special characters escaped, and the
/// control characters XML 1.0 cannot carry replaced.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_follows_magnitude() {
        assert_eq!(human(225.9276769875), "225.9");
        assert_eq!(human(7.0123), "7.01");
        assert_eq!(human(0.01234), "0.012");
        assert_eq!(human(0.0004), "4.00e-4");
        assert_eq!(human(1e308), "1.00e308");
        assert_eq!(human(-0.00002), "-2.00e-5");
        assert_eq!(human(12345.6), "12346");
        assert_eq!(pct(-3.04), "-3.0%");
        assert_eq!(human_opt(None), "-");
        assert_eq!(load_text(Some(8), None, "", "-"), "8");
        assert_eq!(load_text(None, Some(64), "", "-"), "bs 64");
        assert_eq!(load_text(None, None, "conc ", "?"), "?");
    }
}
