//! CSV read with every line ending in LF: CRLF and a lone CR (old Mac files) become LF, and a
//! last line without a line end gets one. The csv crate ends a record at the CR of a CRLF and
//! counts the LF into the next record, placing it a line too early (rust-csv issue 395); and
//! with every line ended alike, where the reader stands after a record tells that record's line.
//! A CR inside a quoted value becomes LF too: both are control characters, refused either way.

use std::io::{self, BufRead, Read};

pub struct LfLines<R> {
    inner: R,
    /// A CR that ended the last chunk: its LF, if one follows, is dropped.
    after_cr: bool,
    /// The last byte passed on, to end the file with a line end.
    last: Option<u8>,
}

impl<R: BufRead> LfLines<R> {
    pub fn new(inner: R) -> Self {
        LfLines {
            inner,
            after_cr: false,
            last: None,
        }
    }
}

impl<R: BufRead> Read for LfLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                if self.last.is_some_and(|last| last != b'\n') {
                    buf[0] = b'\n';
                    self.last = Some(b'\n');
                    return Ok(1);
                }
                return Ok(0);
            }
            let mut written = 0;
            let mut taken = 0;
            while taken < chunk.len() && written < buf.len() {
                let byte = chunk[taken];
                taken += 1;
                let after_cr = std::mem::replace(&mut self.after_cr, byte == b'\r');
                if byte == b'\n' && after_cr {
                    continue;
                }
                buf[written] = if byte == b'\r' { b'\n' } else { byte };
                written += 1;
            }
            self.inner.consume(taken);
            if written > 0 {
                self.last = Some(buf[written - 1]);
                return Ok(written);
            }
            // The chunk was the LF of a CRLF split across chunks: read on.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(bytes: &[u8], capacity: usize) -> Vec<u8> {
        let mut out = Vec::new();
        LfLines::new(io::BufReader::with_capacity(capacity, bytes))
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn every_line_ends_in_lf_and_every_other_byte_stays() {
        for capacity in [1, 2, 3, 1024] {
            assert_eq!(through(b"a,b\r\nc,d\r\n", capacity), b"a,b\nc,d\n");
            assert_eq!(through(b"a\rb\r\r\n\r", capacity), b"a\nb\n\n\n");
            assert_eq!(through(b"a,\"b\"", capacity), b"a,\"b\"\n");
            assert_eq!(through(b"\n\n", capacity), b"\n\n");
            assert_eq!(through(b"", capacity), b"");
        }
    }
}
