//! The files dashshare keeps for the user: the journal, its lock, and what `--out`,
//! `--failed-out` and `diff --out` write (exports, reports, plans, failed rows). They are only
//! ever regular files, never reached through a final symbolic link (`O_NOFOLLOW`), and readable by
//! their owner only from creation (0600). A path that names a link, a device, a FIFO or a folder
//! is refused before anything is read or written, so `--out /dev/null` never replaces the device
//! and a link planted at the journal's place never redirects a write.
//!
//! Outputs are written beside their place and renamed over it, so that a reader, or a crash,
//! never sees half a file.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Refuses `path` unless it is a regular file or nothing is there.
pub fn check_replaceable(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(found) => regular(path, &found),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

/// `path` opened for reading; `None` when nothing is there. Anything but a regular file is
/// refused, without opening it (a FIFO would block, a device never end).
pub fn open_existing(path: &Path) -> io::Result<Option<File>> {
    match std::fs::symlink_metadata(path) {
        Ok(found) => regular(path, &found)?,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    }
    match open(path, OpenOptions::new().read(true)) {
        Ok(file) => Ok(Some(file)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// `path` opened for reading and appending, created 0600 if it is not there.
pub fn open_append(path: &Path) -> io::Result<File> {
    check_replaceable(path)?;
    open(
        path,
        OpenOptions::new().read(true).append(true).create(true),
    )
}

/// `path` opened for reading and writing in place (never truncated on open), created 0600.
pub fn open_update(path: &Path) -> io::Result<File> {
    check_replaceable(path)?;
    open(
        path,
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
}

/// Opens without following a final link, and checks what was opened: a link or a FIFO swapped in
/// since the look before is refused too.
fn open(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO swapped in after the look returns at once instead of
        // waiting for a writer; it changes nothing for a regular file.
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|err| {
        // ELOOP: a link appeared at the path after it was looked at.
        match std::fs::symlink_metadata(path) {
            Ok(found) if found.file_type().is_symlink() => not_regular(path, &found),
            _ => err,
        }
    })?;
    regular(path, &file.metadata()?)?;
    Ok(file)
}

fn regular(path: &Path, found: &Metadata) -> io::Result<()> {
    if found.file_type().is_file() {
        Ok(())
    } else {
        Err(not_regular(path, found))
    }
}

fn not_regular(path: &Path, found: &Metadata) -> io::Error {
    let kind = found.file_type();
    let message = if kind.is_symlink() {
        let target = std::fs::read_link(path)
            .map(|target| format!(" to {}", target.display()))
            .unwrap_or_default();
        format!(
            "it is a symbolic link{target}, and dashshare never reads or writes its files through \
             one: name the file itself"
        )
    } else {
        let what = if kind.is_dir() {
            "a folder"
        } else {
            special_kind(found)
        };
        format!(
            "it is {what}, not a regular file, and dashshare reads and writes only regular files: \
             name a regular file, or a new one"
        )
    };
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

#[cfg(unix)]
fn special_kind(found: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = found.file_type();
    if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &Metadata) -> &'static str {
    "a special file"
}

/// Writes what `fill` writes to `path`, whole or not at all; only a regular file there is
/// replaced (nothing is written otherwise).
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    check_replaceable(path)?;
    let mut file = tempfile::NamedTempFile::new_in(folder_of(path))?;
    fill(&mut file)?;
    file.as_file().sync_all()?;
    file.persist(path).map(drop).map_err(|err| err.error)
}

/// Writes `contents` to a new file `path`, whole or not at all; an existing file there is left
/// alone and the error is `AlreadyExists`. The check and the creation are one step (a hard link
/// or `renameat2(RENAME_NOREPLACE)`), so no other writer can slip in between.
pub fn create_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(folder_of(path))?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist_noclobber(path)
        .map(drop)
        .map_err(|err| err.error)
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    }
}

/// Writes `contents` to `path`, whole or not at all.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_with(path, |file| file.write_all(contents))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_replaced_whole_and_private() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("plan.json");
        std::fs::write(&path, "old").unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let failed = write_with(&path, |_| Err(io::Error::other("no")));
        assert!(failed.is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "new",
            "a failed write kept"
        );
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_new_file_never_replaces_one_that_is_there() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("config.toml");
        create_new(&path, b"first").unwrap();
        let again = create_new(&path, b"second").unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_neither_followed_nor_replaced() {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = folder.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for refused in [
            write(&link, b"new").unwrap_err(),
            open_existing(&link).unwrap_err(),
            open_append(&link).unwrap_err(),
            open_update(&link).unwrap_err(),
        ] {
            assert_eq!(refused.kind(), io::ErrorKind::InvalidInput);
            let message = refused.to_string();
            assert!(message.contains("symbolic link to"), "{message}");
            assert!(message.contains(target.to_str().unwrap()), "{message}");
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn a_device_or_folder_is_refused_before_it_is_opened() {
        for path in [Path::new("/dev/null"), Path::new("/dev/zero")] {
            let message = open_existing(path).unwrap_err().to_string();
            assert!(message.contains("a character device"), "{message}");
            assert!(check_replaceable(path).is_err());
        }
        let folder = tempfile::tempdir().unwrap();
        let message = open_append(folder.path()).unwrap_err().to_string();
        assert!(message.contains("a folder"), "{message}");
    }

    #[test]
    fn nothing_there_reads_as_none_and_is_created_private() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("journal.jsonl");
        assert!(open_existing(&path).unwrap().is_none());
        open_append(&path).unwrap().write_all(b"line\n").unwrap();
        assert!(open_existing(&path).unwrap().is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
