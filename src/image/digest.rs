//! Content digests as OCI writes them, `ALGORITHM:HEX`. stagediff verifies
//! the two algorithms the OCI image spec registers, sha256 and sha512; a
//! digest in any other algorithm is refused while verifying, never passed
//! over as if it had been checked.

use crate::error::ErrorKind;
use sha2::{Digest as _, Sha256, Sha512};

/// A digest algorithm stagediff can verify.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Algorithm {
    #[default]
    Sha256,
    Sha512,
}

impl Algorithm {
    /// The algorithm of `ALGORITHM:HEX`, or an error naming the digest when
    /// it is neither sha256 nor sha512 with an encoding of the right length.
    pub fn of(digest: &str) -> Result<Algorithm, ErrorKind> {
        let (alg, hex) = digest.split_once(':').unwrap_or(("", digest));
        let alg = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => {
                return Err(ErrorKind::Invalid(format!(
                    "unsupported digest {digest}: stagediff verifies sha256 and sha512 \
                     (--no-verify skips the check)"
                )))
            }
        };
        if hex.len() != alg.hex_len()
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(ErrorKind::Invalid(format!("malformed digest {digest}")));
        }
        Ok(alg)
    }

    /// The algorithm a blob path names (`blobs/sha512/…`); sha256 otherwise.
    pub fn of_member(member: &str) -> Algorithm {
        if member.starts_with("blobs/sha512/") {
            Algorithm::Sha512
        } else {
            Algorithm::Sha256
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }

    pub fn hasher(self) -> Hasher {
        match self {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Box::new(Sha512::new())),
        }
    }

    /// `ALGORITHM:HEX` of `bytes`.
    pub fn digest(self, bytes: &[u8]) -> String {
        let mut h = self.hasher();
        h.update(bytes);
        h.finish()
    }
}

/// A running digest.
#[derive(Clone)]
pub enum Hasher {
    Sha256(Sha256),
    Sha512(Box<Sha512>),
}

impl Hasher {
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            Hasher::Sha256(_) => Algorithm::Sha256,
            Hasher::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// `ALGORITHM:HEX`.
    pub fn finish(self) -> String {
        let alg = self.algorithm();
        match self {
            Hasher::Sha256(h) => encode(alg, &h.finalize()),
            Hasher::Sha512(h) => encode(alg, &h.finalize()),
        }
    }
}

fn encode(alg: Algorithm, d: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(alg.name().len() + 1 + d.len() * 2);
    s.push_str(alg.name());
    s.push(':');
    for b in d {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Checks `bytes` against `expected` when verifying. An algorithm other
/// than sha256 or sha512 is an error, not a pass.
pub fn check(what: &str, bytes: &[u8], expected: &str, verify: bool) -> Result<(), ErrorKind> {
    if !verify {
        return Ok(());
    }
    let actual = Algorithm::of(expected)?.digest(bytes);
    if actual != expected {
        return Err(ErrorKind::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

/// Compares a digest computed while reading with the one the manifest or
/// config names. `computed` is None when nothing was digested.
pub fn compare(what: &str, expected: &str, computed: Option<&str>) -> Result<(), ErrorKind> {
    let alg = Algorithm::of(expected)?;
    let Some(actual) = computed else {
        return Err(ErrorKind::Invalid(format!(
            "{what}: not digested, cannot check {expected}"
        )));
    };
    if !actual.starts_with(alg.name()) || actual.as_bytes().get(alg.name().len()) != Some(&b':') {
        return Err(ErrorKind::Invalid(format!(
            "{what}: read as {} but named by a {} digest; load it from a file or \
             directory to verify it, or pass --no-verify",
            actual.split(':').next().unwrap_or("?"),
            alg.name()
        )));
    }
    if actual != expected {
        return Err(ErrorKind::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_algorithms_digest_and_check() {
        let d256 = Algorithm::Sha256.digest(b"abc");
        assert_eq!(
            d256,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let d512 = Algorithm::Sha512.digest(b"abc");
        assert!(d512.starts_with("sha512:ddaf35a193617aba"));
        assert_eq!(d512.len(), 7 + 128);
        for d in [&d256, &d512] {
            check("x", b"abc", d, true).unwrap();
            assert!(matches!(
                check("x", b"abd", d, true),
                Err(ErrorKind::DigestMismatch { .. })
            ));
            assert!(check("x", b"abd", d, false).is_ok());
        }
    }

    #[test]
    fn other_algorithms_are_refused_not_skipped() {
        for bad in [
            "md5:900150983cd24fb0d6963f7d28e17f72",
            "sha384:abc",
            "blake3:00",
            "nocolon",
            "sha256:ABC",
            "sha256:abc",
            "sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ] {
            assert!(check("x", b"abc", bad, true).is_err(), "{bad}");
            assert!(compare("x", bad, Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_blob_path_names_its_algorithm() {
        assert_eq!(Algorithm::of_member("blobs/sha512/ab"), Algorithm::Sha512);
        assert_eq!(Algorithm::of_member("blobs/sha256/ab"), Algorithm::Sha256);
        assert_eq!(Algorithm::of_member("abc/layer.tar"), Algorithm::Sha256);
    }

    #[test]
    fn compare_needs_the_same_algorithm() {
        let d256 = Algorithm::Sha256.digest(b"abc");
        let d512 = Algorithm::Sha512.digest(b"abc");
        compare("x", &d512, Some(&d512)).unwrap();
        let e = compare("layer 1 blob", &d512, Some(&d256)).unwrap_err();
        assert!(e.to_string().contains("named by a sha512 digest"), "{e}");
        assert!(compare("x", &d256, None).is_err());
        assert!(matches!(
            compare("x", &d256, Some(&Algorithm::Sha256.digest(b"abd"))),
            Err(ErrorKind::DigestMismatch { .. })
        ));
    }
}
