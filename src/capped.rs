//! Reading a file the user names with a size cap, so that a huge file, `/dev/zero` or an endless
//! stream is refused with its size instead of being read until memory runs out.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// `path` opened for reading: a regular file over `cap` bytes is refused before anything is
/// read, and any other file (a pipe, a device) fails as soon as it yields more than `cap` bytes.
pub fn open(path: &Path, cap: u64) -> io::Result<Capped<File>> {
    file(File::open(path)?, cap)
}

/// `file`, already open, refused and capped like `open` does.
pub fn file(file: File, cap: u64) -> io::Result<Capped<File>> {
    let size = file.metadata()?.len();
    if size > cap {
        return Err(too_large(Some(size), cap));
    }
    Ok(Capped {
        inner: file,
        cap,
        left: cap,
    })
}

/// The whole of `path`, refused like `open` refuses it when it is over `cap` bytes.
pub fn read(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open(path, cap)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `reader` (stdin, say), failing like `open`'s reader once more than `cap` bytes come through.
pub fn limit<R: Read>(reader: R, cap: u64) -> Capped<R> {
    Capped {
        inner: reader,
        cap,
        left: cap,
    }
}

/// A reader that fails once more than its cap has come through, rather than stop quietly: a
/// file cut short would read as a shorter, valid one.
pub struct Capped<R> {
    inner: R,
    cap: u64,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte past the cap is asked for, so that a file of exactly the cap still ends.
        let want = buf
            .len()
            .min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..want])?;
        match self.left.checked_sub(got as u64) {
            Some(left) => {
                self.left = left;
                Ok(got)
            }
            None => Err(too_large(None, self.cap)),
        }
    }
}

fn too_large(size: Option<u64>, cap: u64) -> io::Error {
    let size = size.map_or_else(|| "more than that".to_string(), |s| format!("{s} bytes"));
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "it is larger than the {} this file may be ({size}); is this the right file?",
            human(cap)
        ),
    )
}

fn human(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_over_the_cap_is_refused_with_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'x'; 2049]).unwrap();
        let err = read(&path, 2048).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("2 KiB"), "{err}");
        assert!(err.to_string().contains("2049 bytes"), "{err}");
        assert_eq!(read(&path, 2049).unwrap().len(), 2049);
    }

    #[test]
    fn a_stream_is_stopped_past_the_cap() {
        let mut endless = Capped {
            inner: io::repeat(b'x'),
            cap: 4096,
            left: 4096,
        };
        let mut sink = Vec::new();
        let err = endless.read_to_end(&mut sink).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(sink.len() <= 4096, "{}", sink.len());
        let mut exact = Capped {
            inner: &[b'x'; 4096][..],
            cap: 4096,
            left: 4096,
        };
        sink.clear();
        assert_eq!(exact.read_to_end(&mut sink).unwrap(), 4096);
    }

    #[cfg(unix)]
    #[test]
    fn dev_zero_ends() {
        let err = read(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    }
}
