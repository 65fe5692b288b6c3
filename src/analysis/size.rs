//! Parsing sizes people write: `123`, `20MB`, `1.5GiB`, `700 k`.

/// Parses a size in bytes. Decimal units (k, KB, MB, GB, TB) are powers of
/// 1000, binary ones (KiB, MiB, GiB, TiB; also Ki, Mi…) powers of 1024; a
/// bare number is bytes. Case-insensitive; fractions allowed.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let bad = || {
        format!(
            "invalid size {:?} (expected e.g. 123, 20MB, 1.5GiB)",
            crate::escape::escape_str(text)
        )
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    if num.is_empty() || num.matches('.').count() > 1 || num == "." {
        return Err(bad());
    }
    let unit = unit.trim().to_ascii_lowercase();
    let mult: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "m" | "mb" => 1000_u64.pow(2),
        "g" | "gb" => 1000_u64.pow(3),
        "t" | "tb" => 1000_u64.pow(4),
        "ki" | "kib" => 1 << 10,
        "mi" | "mib" => 1 << 20,
        "gi" | "gib" => 1 << 30,
        "ti" | "tib" => 1 << 40,
        _ => return Err(bad()),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let int: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let mut bytes = int.checked_mul(mult).ok_or_else(bad)?;
    // Fraction digits, exactly: value = frac / 10^len * mult, rounded down.
    if !frac.is_empty() {
        let digits = &frac[..frac.len().min(12)];
        let f: u128 = digits.parse().map_err(|_| bad())?;
        let add = f * u128::from(mult) / 10u128.pow(digits.len() as u32);
        bytes = bytes
            .checked_add(u64::try_from(add).map_err(|_| bad())?)
            .ok_or_else(bad)?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_size("123").unwrap(), 123);
        assert_eq!(parse_size("20MB").unwrap(), 20_000_000);
        assert_eq!(parse_size("20mb").unwrap(), 20_000_000);
        assert_eq!(parse_size("1.5GiB").unwrap(), 1_610_612_736);
        assert_eq!(parse_size(" 700 k ").unwrap(), 700_000);
        assert_eq!(parse_size("2KiB").unwrap(), 2048);
        assert_eq!(parse_size("0.5kb").unwrap(), 500);
        assert_eq!(parse_size(".5KB").unwrap(), 500);
        assert_eq!(parse_size("10B").unwrap(), 10);
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "MB",
            "1.2.3MB",
            "12 parsecs",
            "-5",
            "1e9",
            "99999999999999999999",
            "20000000TB",
        ] {
            assert!(parse_size(s).is_err(), "{s}");
        }
    }
}
