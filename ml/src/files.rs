//! The files the two parties exchange, and how they are written.
//!
//! Every key, query and answer file is one envelope:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `HEDIAG\0\n` |
//! | 2 | format version, little-endian |
//! | 1 | kind ([`FileKind`]) |
//! | 8 | parameter id ([`ckks::Params::id`]) |
//! | 8 | model id ([`crate::ModelInfo::id`]) |
//! | 8 | body length `n` |
//! | n | body (bincode of CKKS envelopes) |
//! | 32 | SHA-256 of everything before it |
//!
//! Reading checks, in this order, the magic and version, the length (a
//! truncated or extended file is named as such), the checksum (an altered
//! byte anywhere), the kind, the parameter id and the model id, and only
//! then parses the body with the CKKS loaders, which check every residue.
//! The checksum detects corruption and accidental edits; it is not a
//! signature, and the CKKS checks behind it do not trust it.
//!
//! Files are written to a temporary name in the same directory and renamed
//! into place, so a crash or a full disk never leaves a half-written file
//! under the real name; secret keys are created with mode `0600`.

use std::fmt;
use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Version of the envelope this build writes and reads.
pub const FILE_VERSION: u16 = 1;
const MAGIC: [u8; 8] = *b"HEDIAG\0\n";
const HEADER_LEN: usize = 8 + 2 + 1 + 8 + 8 + 8;
const DIGEST_LEN: usize = 32;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FileKind {
    /// The patient's secret key. Never leaves the patient.
    SecretKey = 1,
    /// Public key, relinearization key and the model's Galois keys.
    PublicBundle = 2,
    /// Encrypted records.
    Query = 3,
    /// Encrypted results.
    Answer = 4,
}

impl FileKind {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::SecretKey),
            2 => Some(Self::PublicBundle),
            3 => Some(Self::Query),
            4 => Some(Self::Answer),
            _ => None,
        }
    }

    /// A name for messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::SecretKey => "a secret key",
            Self::PublicBundle => "a public key bundle",
            Self::Query => "an encrypted query",
            Self::Answer => "an encrypted answer",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Lower-case hexadecimal of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 of `bytes`.
#[must_use]
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Wraps `body` in an envelope.
#[must_use]
pub fn seal(kind: FileKind, params_id: u64, model_id: [u8; 8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + DIGEST_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FILE_VERSION.to_le_bytes());
    out.push(kind as u8);
    out.extend_from_slice(&params_id.to_le_bytes());
    out.extend_from_slice(&model_id);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
    let digest = sha256(&out);
    out.extend_from_slice(&digest);
    out
}

/// The header fields of an envelope whose length and checksum are right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// What the file holds.
    pub kind: FileKind,
    /// Parameter id it was made under.
    pub params_id: u64,
    /// Model it was made for.
    pub model_id: [u8; 8],
}

/// Checks the framing and checksum of `bytes` and returns the header and
/// the body, without looking at the kind or the ids.
///
/// # Errors
/// [`Error::BadFile`] for a wrong magic or version, a truncated or
/// extended file, a checksum mismatch or an unknown kind.
pub fn open_any<'a>(bytes: &'a [u8], origin: &str) -> Result<(Header, &'a [u8])> {
    let bad = |reason: String| Error::BadFile {
        origin: origin.to_owned(),
        reason,
    };
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(bad(
            "not a hediag key, query or answer file (bad magic)".into()
        ));
    }
    if bytes.len() < HEADER_LEN + DIGEST_LEN {
        return Err(bad(format!(
            "truncated: {} bytes, shorter than the {}-byte header and checksum",
            bytes.len(),
            HEADER_LEN + DIGEST_LEN
        )));
    }
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != FILE_VERSION {
        return Err(bad(format!(
            "file format version {version}, this build reads {FILE_VERSION}"
        )));
    }
    let body_len = u64_at(27);
    let expected = (HEADER_LEN + DIGEST_LEN) as u64 + body_len;
    if bytes.len() as u64 != expected {
        return Err(bad(format!(
            "{} bytes, the header announces {expected}: {}",
            bytes.len(),
            if (bytes.len() as u64) < expected {
                "the file is truncated"
            } else {
                "trailing bytes after the checksum"
            }
        )));
    }
    let (content, digest) = bytes.split_at(bytes.len() - DIGEST_LEN);
    if sha256(content) != digest {
        return Err(bad(
            "checksum mismatch: the file was altered or corrupted".into()
        ));
    }
    let kind = FileKind::from_byte(bytes[10])
        .ok_or_else(|| bad(format!("unknown file kind {}", bytes[10])))?;
    let header = Header {
        kind,
        params_id: u64_at(11),
        model_id: bytes[19..27].try_into().expect("8 bytes"),
    };
    Ok((header, &content[HEADER_LEN..]))
}

/// Opens an envelope that must be of `kind`, made under `params_id` for
/// `model_id`, and returns its body.
///
/// # Errors
/// As [`open_any`]; [`Error::SecretKeyRefused`] for a secret key where
/// something else is expected; [`Error::WrongKind`] for another kind;
/// [`Error::Mismatch`] for other parameters or another model.
pub fn open<'a>(
    bytes: &'a [u8],
    origin: &str,
    kind: FileKind,
    params_id: u64,
    model_id: [u8; 8],
) -> Result<&'a [u8]> {
    let (header, body) = open_any(bytes, origin)?;
    if header.kind != kind {
        if header.kind == FileKind::SecretKey {
            return Err(Error::SecretKeyRefused {
                origin: origin.to_owned(),
            });
        }
        return Err(Error::WrongKind {
            origin: origin.to_owned(),
            expected: kind.name(),
            found: header.kind.name(),
        });
    }
    if header.params_id != params_id {
        return Err(Error::Mismatch {
            origin: origin.to_owned(),
            what: "parameters",
            expected: format!("{params_id:016x}"),
            found: format!("{:016x}", header.params_id),
        });
    }
    if header.model_id != model_id {
        return Err(Error::Mismatch {
            origin: origin.to_owned(),
            what: "model",
            expected: hex(&model_id),
            found: hex(&header.model_id),
        });
    }
    Ok(body)
}

/// bincode options shared by the bodies: fixed-width integers, little
/// endian, no trailing bytes, and reads capped at the input's length so a
/// forged length cannot request a large allocation.
pub(crate) fn bincode_opts(limit: usize) -> impl bincode::Options {
    use bincode::Options;
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .with_limit(limit as u64)
        .reject_trailing_bytes()
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// that is synced and renamed into place. With `secret`, the file is
/// created with mode `0600` (owner read/write only) before anything is
/// written to it.
///
/// # Errors
/// [`Error::Io`]; the temporary file is removed on failure.
pub fn write_atomic(path: &Path, bytes: &[u8], secret: bool) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("not a file name")))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if secret {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = secret;
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Reads a whole file.
///
/// # Errors
/// [`Error::Io`].
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: u64 = 0x0123_4567_89ab_cdef;
    const M: [u8; 8] = *b"model-id";

    #[test]
    fn round_trips_and_names_each_fault() {
        let sealed = seal(FileKind::Query, P, M, b"body bytes");
        assert_eq!(
            open(&sealed, "q", FileKind::Query, P, M).unwrap(),
            b"body bytes"
        );
        let msg = |r: Result<&[u8]>| r.unwrap_err().to_string();
        assert!(msg(open(
            &sealed[..sealed.len() - 1],
            "q",
            FileKind::Query,
            P,
            M
        ))
        .contains("truncated"));
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(msg(open(&longer, "q", FileKind::Query, P, M)).contains("trailing"));
        for at in [12, HEADER_LEN + 3, sealed.len() - 1] {
            let mut t = sealed.clone();
            t[at] ^= 1;
            assert!(
                msg(open(&t, "q", FileKind::Query, P, M)).contains("checksum"),
                "byte {at}"
            );
        }
        assert!(matches!(
            open(&sealed, "q", FileKind::Answer, P, M),
            Err(Error::WrongKind { .. })
        ));
        assert!(matches!(
            open(&sealed, "q", FileKind::Query, P + 1, M),
            Err(Error::Mismatch {
                what: "parameters",
                ..
            })
        ));
        assert!(matches!(
            open(&sealed, "q", FileKind::Query, P, *b"other-id"),
            Err(Error::Mismatch { what: "model", .. })
        ));
        let sk = seal(FileKind::SecretKey, P, M, b"s");
        assert!(matches!(
            open(&sk, "k", FileKind::PublicBundle, P, M),
            Err(Error::SecretKeyRefused { .. })
        ));
        assert!(msg(open(b"{\"json\": 1}", "j", FileKind::Query, P, M)).contains("magic"));
    }

    #[test]
    fn atomic_write_replaces_and_sets_secret_mode() {
        let dir = std::env::temp_dir().join(format!("ml-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret.key");
        write_atomic(&path, b"one", true).unwrap();
        write_atomic(&path, b"two", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary left"
        );
        assert!(write_atomic(&dir.join("missing/x"), b"x", false).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
