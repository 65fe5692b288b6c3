//! rustapp: prints the line count, byte count and CRC-32 of its standard input.
//! A test fixture for stagediff: small, with real dependencies from crates.io.

use std::io::{self, Read, Write};

fn main() -> io::Result<()> {
    let mut input = Vec::new();
    io::stdin().read_to_end(&mut input)?;
    let lines = memchr::memchr_iter(b'\n', &input).count();
    let crc = crc32fast::hash(&input);

    let mut numbers = itoa::Buffer::new();
    let mut out = io::stdout().lock();
    out.write_all(numbers.format(lines).as_bytes())?;
    out.write_all(b" lines, ")?;
    out.write_all(numbers.format(input.len()).as_bytes())?;
    writeln!(out, " bytes, crc32 {crc:08x}")
}
