//! A file's content: compression recognised by magic bytes (never by
//! name), plain files memory-mapped a chunk at a time (or read, when
//! small), compressed files (gzip, bzip2, xz, zstd) decoded as streams.

use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::ops::Range;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::mapping::Mapping;
use super::utf16::Utf16Decoder;

/// How a file's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (one or more members).
    Gzip,
    /// bzip2 (one or more streams).
    Bzip2,
    /// xz (one or more streams).
    Xz,
    /// zstd (one or more frames).
    Zstd,
    /// Text stored as UTF-16, little-endian, with a byte-order mark: read
    /// as UTF-8 (see `utf16`).
    Utf16Le,
    /// The same, big-endian.
    Utf16Be,
}

impl Compression {
    /// The name written in reports.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
            Compression::Utf16Le => "utf-16le",
            Compression::Utf16Be => "utf-16be",
        }
    }

    /// The compression of a name written by `name`.
    pub fn from_name(name: &str) -> Option<Compression> {
        [
            Compression::None,
            Compression::Gzip,
            Compression::Bzip2,
            Compression::Xz,
            Compression::Zstd,
            Compression::Utf16Le,
            Compression::Utf16Be,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }

    /// Recognises a compression from a file's first bytes.
    pub fn sniff(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            // A block size, then a block's or the stream's end's magic (or
            // as much of it as a file cut short holds): a vhost log's first
            // line may start `BZh` too.
            [b'B', b'Z', b'h', b'1'..=b'9', rest @ ..] if starts_bzip2_block(rest) => {
                Compression::Bzip2
            }
            [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Compression::Xz,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            // A skippable frame (pzstd writes one first), which zstd reads
            // past to the frames after it; LZ4 writes the same frames, so
            // the frame after it, when in sight, must be zstd's.
            [0x50..=0x5f, 0x2a, 0x4d, 0x18, s0, s1, s2, s3, rest @ ..] => {
                let size = u32::from_le_bytes([*s0, *s1, *s2, *s3]) as usize;
                match rest.get(size..size + 4) {
                    Some(next) if next != [0x28, 0xb5, 0x2f, 0xfd] => Compression::None,
                    _ => Compression::Zstd,
                }
            }
            // UTF-32's little-endian mark starts as UTF-16's does.
            [0xff, 0xfe, 0, 0, ..] => Compression::None,
            [0xff, 0xfe, text @ ..] if looks_like_utf16(text, false) => Compression::Utf16Le,
            [0xfe, 0xff, text @ ..] if looks_like_utf16(text, true) => Compression::Utf16Be,
            _ => Compression::None,
        }
    }
}

/// Whether `bytes`, after a bzip2 stream's header, start with the magic
/// of a block (the digits of pi) or of the stream's end (of the square
/// root of pi), or with what a file cut short holds of one.
fn starts_bzip2_block(bytes: &[u8]) -> bool {
    const BLOCK: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
    const END: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
    let n = bytes.len().min(6);
    bytes[..n] == BLOCK[..n] || bytes[..n] == END[..n]
}

/// What a file's content is, judged by its head, when it is no text a log
/// could be: an archive or a compression logwitness does not read (by its
/// magic bytes: fragments of text a compressor left whole, or a zip's
/// stored members, may still parse as lines, so it is said whether or not
/// `read_as_log`), or, when no line of its head was read as a log's, a tar
/// archive or binary data (a twentieth or more of its bytes control
/// characters). `None` for text, and for a head too short to judge.
pub fn not_text(head: &[u8], read_as_log: bool) -> Option<&'static str> {
    // (magic, where it stands, what it is, whether a log read from it is
    // read from compressed bytes)
    const MAGIC: [(&[u8], usize, &str, bool); 11] = [
        (b"PK\x03\x04", 0, "a zip archive", true),
        (b"PK\x05\x06", 0, "a zip archive", true),
        (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive", true),
        (b"Rar!\x1a\x07", 0, "a RAR archive", true),
        (b"MSCF\0\0\0\0", 0, "a cabinet archive", true),
        (b"\x04\x22\x4d\x18", 0, "LZ4-compressed", true),
        (b"\x02\x21\x4c\x18", 0, "LZ4-compressed", true),
        (b"LZIP\x01", 0, "lzip-compressed", true),
        (b"\x1f\x9d", 0, "compress-compressed (.Z)", true),
        (b"\x5d\x00\x00", 0, "LZMA-compressed", true),
        (b"ustar", 257, "a tar archive", false),
    ];
    let magic = MAGIC
        .iter()
        .find(|(magic, at, ..)| head.get(*at..).is_some_and(|rest| rest.starts_with(magic)));
    if let Some(&(_, _, what, compressed)) = magic {
        return (compressed || !read_as_log).then_some(what);
    }
    if read_as_log || head.len() < 32 {
        return None;
    }
    // Compressed or random bytes are a tenth control characters; text,
    // in any encoding (Windows-1252, Shift-JIS), next to none: bytes that
    // are not UTF-8 say nothing. Terminals' bell, backspace and escape are
    // text's.
    let controls = head
        .iter()
        .filter(|&&b| b.is_ascii_control() && !matches!(b, 0x07..=0x0d | 0x1b))
        .count();
    (controls * 20 >= head.len()).then_some("binary data")
}

/// Bytes of a file's head read to recognise how it is stored.
const SNIFFED: usize = 64;

/// Whether `text` (what follows a UTF-16 byte-order mark) reads as UTF-16:
/// half its units or more are ASCII characters (a zero high byte), as a
/// log's are (addresses, dates, methods). A plain log whose first line
/// happens to start with the mark's two bytes is not.
fn looks_like_utf16(text: &[u8], big_endian: bool) -> bool {
    let units = text.chunks_exact(2);
    let all = units.len();
    let ascii = units
        .filter(|unit| {
            let (high, low) = if big_endian {
                (unit[0], unit[1])
            } else {
                (unit[1], unit[0])
            };
            high == 0 && low != 0
        })
        .count();
    all > 0 && 2 * ascii >= all
}

/// An opened input.
#[derive(Debug)]
pub enum Content {
    /// A plain file with bytes, read again by each unit that scans it
    /// (see `Plain`).
    Plain(Plain),
    /// A plain file with no bytes.
    Empty,
    /// A compressed file, decoded as a stream when its unit is scanned.
    Stream(Compression),
}

/// A plain file as it was first opened. No file stays open or mapped
/// between its detection and its scan: a process may map only so many
/// regions (65,530 by default on Linux) and open only so many files, and
/// archives of small logs hold hundreds of thousands. Each read opens the
/// file again and checks that it is the same file, no shorter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plain {
    /// Its length when first opened: what a scan reads.
    pub len: u64,
    /// Its device and inode: which file it is.
    file: (u64, u64),
    /// When it was last modified (seconds, nanoseconds).
    modified: (i64, i64),
}

impl Plain {
    /// A plain file of `len` bytes that was never opened, for tests.
    #[cfg(test)]
    pub(crate) fn of_length(len: u64) -> Plain {
        Plain {
            len,
            file: (0, 0),
            modified: (0, 0),
        }
    }

    fn of(meta: &std::fs::Metadata) -> Plain {
        Plain {
            len: meta.len(),
            file: (meta.dev(), meta.ino()),
            modified: (meta.mtime(), meta.mtime_nsec()),
        }
    }

    /// What `read` makes of the bytes of `range`, from `path` opened again
    /// (see `read_range`).
    pub fn read<T>(
        &self,
        path: &Path,
        range: Range<u64>,
        read: impl FnOnce(&[u8]) -> T,
    ) -> io::Result<T> {
        Ok(self.read_noting_length(path, range, read)?.0)
    }

    /// `read`, with the longest the file was seen to be, when opened again
    /// and once read: longer than `len` when the file grew since it was
    /// first opened.
    pub fn read_noting_length<T>(
        &self,
        path: &Path,
        range: Range<u64>,
        read: impl FnOnce(&[u8]) -> T,
    ) -> io::Result<(T, u64)> {
        let (file, before) = self.reopen(path)?;
        let (value, after) = read_range_noting_length(&file, range, read)?;
        Ok((value, after.map_or(before, |after| after.max(before))))
    }

    /// The SHA-256 of its first `len` bytes, from `path` mapped a window at
    /// a time (each window checks first that the file was not cut, and
    /// unmapping a small window holds up the other threads' page faults far
    /// less than unmapping a whole large file), and the longest the file
    /// was seen to be while they were read.
    pub fn hash(&self, path: &Path) -> io::Result<(Sha256Digest, u64)> {
        // 64 MiB windows took 3% longer than one map of a 1 GiB log; 256
        // MiB ones as long (alternating runs).
        const WINDOW: u64 = 256 << 20;
        let mut hasher = Sha256::new();
        let mut start = 0;
        let mut length = self.len;
        while start < self.len {
            let end = (start + WINDOW).min(self.len);
            let ((), now) = self.read_noting_length(path, start..end, |b| hasher.update(b))?;
            length = length.max(now);
            start = end;
        }
        Ok((Sha256Digest::of_hasher(hasher), length))
    }

    /// `path` opened again, when it is still this file, no shorter, and
    /// its length now.
    pub fn reopen(&self, path: &Path) -> io::Result<(File, u64)> {
        let file = File::open(path)?;
        let now = Plain::of(&file.metadata()?);
        // Some file systems (FUSE mounts of remote storage, say) number a
        // file anew once it leaves their cache: a file of the same length
        // modified at the same instant is taken to be the same file (times
        // kept to the second alone could match another file's; its length
        // too, rarely).
        let same_file =
            now.file == self.file || (now.modified == self.modified && now.len == self.len);
        if !same_file {
            return Err(io::Error::other(
                "another file took its place during the scan",
            ));
        }
        if now.len < self.len {
            return Err(io::Error::other(cut_during_scan(self.len, now.len)));
        }
        Ok((file, now.len))
    }
}

/// What is said of a file found `to` bytes long during the scan, where it
/// was `from` when first found.
pub fn cut_during_scan(from: u64, to: u64) -> String {
    format!("it was cut from {from} to {to} bytes during the scan")
}

/// Ranges up to this long are read into memory rather than mapped: for a
/// small file, mapping, faulting and unmapping cost more than copying.
const READ_UP_TO: u64 = 256 << 10;

/// What `read` makes of the bytes of `range` of `file`, mapped (see
/// `mapping`) or read into memory. An error when they could not all be
/// read, even once `read` has run: the file was cut, or its storage
/// failed, while it was mapped.
pub fn read_range<T>(
    file: &File,
    range: Range<u64>,
    read: impl FnOnce(&[u8]) -> T,
) -> io::Result<T> {
    Ok(read_range_noting_length(file, range, read)?.0)
}

/// `read_range`, with the file's length once a mapped range was read. A
/// file cut inside the map's last page reads as zeros from the cut to the
/// page's end, with no fault: the length says so.
fn read_range_noting_length<T>(
    file: &File,
    range: Range<u64>,
    read: impl FnOnce(&[u8]) -> T,
) -> io::Result<(T, Option<u64>)> {
    let too_long = |_| io::Error::other("too long to read on this machine");
    let len = usize::try_from(range.end - range.start).map_err(too_long)?;
    if range.end - range.start > READ_UP_TO {
        let value = Mapping::new(file, range.clone())?.read(read)?;
        let after = file.metadata()?.len();
        if after < range.end {
            return Err(io::Error::other(format!(
                "it was cut to {after} bytes while bytes up to {} were read",
                range.end
            )));
        }
        return Ok((value, Some(after)));
    }
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, range.start)?;
    Ok((read(&bytes), None))
}

/// Opens `path` read-only and decides how to read it. A plain file comes
/// with the file opened, for detecting its format and planning its units
/// (`read_range`); close it once done.
pub fn open(path: &Path) -> io::Result<(Content, Option<File>)> {
    let mut file = File::open(path)?;
    let mut head = [0u8; SNIFFED];
    let n = read_up_to(&mut file, &mut head)?;
    match Compression::sniff(&head[..n]) {
        Compression::None if n == 0 => Ok((Content::Empty, None)),
        Compression::None => Ok((Content::Plain(Plain::of(&file.metadata()?)), Some(file))),
        compressed => Ok((Content::Stream(compressed), Some(file))),
    }
}

/// The stored bytes of a compressed file, hashed as they are read.
type Stored = BufReader<HashingReader<File>>;

/// A compressed file's content, decoded as it is read. Every member,
/// stream or frame is decoded in turn, as the tools that wrote them do.
pub struct Decoder {
    stream: Stream,
    /// Where the content is, and how it is stored: to decode it again up to
    /// an error (see `salvage`).
    path: PathBuf,
    compression: Compression,
    /// Decoded bytes handed out so far.
    delivered: u64,
    /// After an error: what the read that met it had decoded, recovered,
    /// and then the error.
    salvaged: Option<(io::Cursor<Vec<u8>>, Option<io::Error>)>,
}

/// The members (gzip), streams (bzip2, xz) or frames (zstd) of a file read
/// in turn, as the tools that wrote them read them, knowing where in the
/// content each starts: each one's check covers it whole (a CRC, or a
/// checksum), and what fails it was handed out before the check, from the
/// member's start (see `Decoder::suspect_from`).
struct Members<D> {
    /// The member being read (`None` only while the next is set up).
    member: Option<D>,
    /// Where the line the member being read starts in starts, in the
    /// content: a member may start inside a line another began.
    member_start: u64,
    /// Decoded bytes handed out before the member being read.
    before_member: u64,
    /// Decoded bytes handed out.
    decoded: u64,
    /// Where the last line handed out starts.
    line_start: u64,
}

/// A decoder of one member, stream or frame, reading the stored bytes.
trait Member: Read + Sized {
    fn start(stored: Stored) -> io::Result<Self>;
    fn stored(&self) -> &Stored;
    fn stored_mut(&mut self) -> &mut Stored;
    fn into_stored(self) -> Stored;
    /// The bytes it decoded, where it counts them.
    fn produced(&self) -> Option<u64> {
        None
    }
    /// Reads past what its format allows between two members (see the
    /// xz decoder's): how many bytes.
    fn skip_padding(_stored: &mut Stored) -> io::Result<usize> {
        Ok(0)
    }
}

/// The `Member` methods every decoder here has by the same names: its
/// start on the stored bytes, and its access to them (`into_inner`, or
/// zstd's `finish`).
macro_rules! member_access {
    ($start:expr, $into:ident) => {
        fn start(stored: Stored) -> io::Result<Self> {
            $start(stored)
        }
        fn stored(&self) -> &Stored {
            self.get_ref()
        }
        fn stored_mut(&mut self) -> &mut Stored {
            self.get_mut()
        }
        fn into_stored(self) -> Stored {
            self.$into()
        }
    };
}

impl Member for flate2::bufread::GzDecoder<Stored> {
    member_access!(|s| Ok(flate2::bufread::GzDecoder::new(s)), into_inner);
}

impl Member for bzip2::bufread::BzDecoder<Stored> {
    member_access!(|s| Ok(bzip2::bufread::BzDecoder::new(s)), into_inner);
}

impl Member for liblzma::bufread::XzDecoder<Stored> {
    member_access!(|s| Ok(liblzma::bufread::XzDecoder::new(s)), into_inner);
    fn produced(&self) -> Option<u64> {
        Some(self.total_out())
    }
    /// xz allows NUL bytes after a stream, in fours (stream padding), as
    /// `xz -t` does.
    fn skip_padding(stored: &mut Stored) -> io::Result<usize> {
        let mut skipped = 0;
        loop {
            let buf = stored.fill_buf()?;
            let (zeros, all) = (buf.iter().take_while(|&&b| b == 0).count(), buf.len());
            stored.consume(zeros);
            skipped += zeros;
            if zeros == 0 || zeros < all {
                break;
            }
        }
        match skipped % 4 {
            0 => Ok(skipped),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "xz stream padding that is not a multiple of four bytes",
            )),
        }
    }
}

impl Member for zstd::stream::read::Decoder<'static, Stored> {
    member_access!(
        |s| Ok(zstd::stream::read::Decoder::with_buffer(s)?.single_frame()),
        finish
    );
}

impl<D: Member> Members<D> {
    fn new(stored: Stored) -> io::Result<Members<D>> {
        Ok(Members {
            member: Some(D::start(stored)?),
            member_start: 0,
            before_member: 0,
            decoded: 0,
            line_start: 0,
        })
    }

    fn member(&mut self) -> &mut D {
        self.member.as_mut().expect("a member is set up")
    }

    fn get_ref(&self) -> &Stored {
        self.member.as_ref().expect("a member is set up").stored()
    }

    fn into_inner(self) -> Stored {
        self.member.expect("a member is set up").into_stored()
    }

    /// The bytes decoded, where the decoder counts them.
    fn produced(&self) -> Option<u64> {
        let member = self.member.as_ref()?;
        member.produced().map(|n| self.before_member + n)
    }
}

impl<D: Member> Read for Members<D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.member().read(buf)?;
            if n > 0 || buf.is_empty() {
                if let Some(end) = memchr::memrchr(b'\n', &buf[..n]) {
                    self.line_start = self.decoded + end as u64 + 1;
                }
                self.decoded += n as u64;
                return Ok(n);
            }
            // The member ended, checked: another may follow, and what
            // comes after it is the next member's (an error there takes
            // nothing off the member checked). Anything else after it (zero
            // bytes too: where a crash left blocks of a file written in
            // members unwritten) is an error, as a header; xz's padding
            // between two streams is read past, but not at the end, where
            // it is such zeros as well.
            self.member_start = self.line_start;
            self.before_member = self.decoded;
            let padded = D::skip_padding(self.member().stored_mut())?;
            if self.member().stored_mut().fill_buf()?.is_empty() {
                return match padded {
                    0 => Ok(0),
                    n => Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{n} NUL bytes after the last stream, where a stream may have been lost"
                        ),
                    )),
                };
            }
            let stored = self
                .member
                .take()
                .expect("a member is set up")
                .into_stored();
            self.member = Some(D::start(stored)?);
        }
    }
}

/// The decoder of each way of storing.
enum Stream {
    /// gzip.
    Gzip(Members<flate2::bufread::GzDecoder<Stored>>),
    /// bzip2.
    Bzip2(Members<bzip2::bufread::BzDecoder<Stored>>),
    /// xz.
    Xz(Members<liblzma::bufread::XzDecoder<Stored>>),
    /// zstd.
    Zstd(Members<zstd::stream::read::Decoder<'static, Stored>>),
    /// UTF-16 text.
    Utf16(Utf16Decoder<Stored>),
}

impl Stream {
    fn open(path: &Path, compression: Compression, hash: bool) -> io::Result<Stream> {
        Stream::of_file(File::open(path)?, compression, hash)
    }

    /// `open` for a file opened already, read from its start.
    fn of_file(mut file: File, compression: Compression, hash: bool) -> io::Result<Stream> {
        file.rewind()?;
        let stored = BufReader::with_capacity(1 << 16, HashingReader::new(file, hash));
        Ok(match compression {
            Compression::Gzip => Stream::Gzip(Members::new(stored)?),
            Compression::Bzip2 => Stream::Bzip2(Members::new(stored)?),
            Compression::Xz => Stream::Xz(Members::new(stored)?),
            Compression::Zstd => Stream::Zstd(Members::new(stored)?),
            Compression::Utf16Le => Stream::Utf16(Utf16Decoder::new(stored, false)),
            Compression::Utf16Be => Stream::Utf16(Utf16Decoder::new(stored, true)),
            Compression::None => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the content is not compressed",
                ));
            }
        })
    }

    /// How many bytes the decoder has produced, when it counts them.
    fn produced(&self) -> Option<u64> {
        match self {
            Stream::Xz(d) => d.produced(),
            _ => None,
        }
    }

    /// Whether a read that meets an error drops what it decoded before it
    /// (the bzip2, xz and zstd decoders do; gzip's hands it out first).
    fn drops_on_error(&self) -> bool {
        matches!(self, Stream::Bzip2(_) | Stream::Xz(_) | Stream::Zstd(_))
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Gzip(d) => d.read(buf),
            Stream::Bzip2(d) => d.read(buf),
            Stream::Xz(d) => d.read(buf),
            Stream::Zstd(d) => d.read(buf),
            Stream::Utf16(d) => d.read(buf),
        }
    }
}

impl Decoder {
    /// Decodes `path` as `compression`, hashing the stored bytes as they
    /// are read when `hash` is set. `None` for content not compressed.
    pub fn open(path: &Path, compression: Compression, hash: bool) -> io::Result<Decoder> {
        Decoder::of_file(File::open(path)?, path, compression, hash)
    }

    /// `open` for `path` opened already as `file` (read from its start).
    fn of_file(
        file: File,
        path: &Path,
        compression: Compression,
        hash: bool,
    ) -> io::Result<Decoder> {
        Ok(Decoder {
            stream: Stream::of_file(file, compression, hash)?,
            path: path.to_path_buf(),
            compression,
            delivered: 0,
            salvaged: None,
        })
    }

    fn stored(&self) -> &HashingReader<File> {
        let stored = match &self.stream {
            Stream::Gzip(d) => d.get_ref(),
            Stream::Bzip2(d) => d.get_ref(),
            Stream::Xz(d) => d.get_ref(),
            Stream::Zstd(d) => d.get_ref(),
            Stream::Utf16(d) => d.get_ref(),
        };
        stored.get_ref()
    }

    /// Where in the content what was handed out may not be what was
    /// written, once a read met `error`: a gzip member, bzip2 or xz stream
    /// or zstd frame that failed its check (a CRC or checksum that does not
    /// match, or data its format cannot hold) handed its bytes out before
    /// the check, from the member's start (a bzip2 or xz stream's blocks
    /// are checked one at a time, but where each starts is not followed
    /// here, and a changed byte of a zstd frame decoded, without error,
    /// into other times and paths up to the checksum at its end). `None`
    /// when the content was only cut short: what was decoded before the
    /// cut is what was written.
    pub fn suspect_from(&self, error: &io::Error) -> Option<u64> {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            return None;
        }
        match &self.stream {
            Stream::Gzip(members) => Some(members.member_start),
            Stream::Bzip2(members) => Some(members.member_start),
            Stream::Xz(members) => Some(members.member_start),
            Stream::Zstd(members) => Some(members.member_start),
            Stream::Utf16(_) => None,
        }
    }

    /// The stored bytes read so far.
    pub fn stored_bytes_read(&self) -> u64 {
        self.stored().bytes_read()
    }

    /// The length of the file being read, now.
    pub fn stored_length_now(&self) -> io::Result<u64> {
        Ok(self.stored().inner.metadata()?.len())
    }

    /// The SHA-256 of every stored byte of the file: what the decoder read,
    /// and the rest of the file after where it stopped (corruption stops it
    /// early, but the manifest hashes the file as stored). `None` when the
    /// decoder was opened without hashing.
    pub fn finish_hash(self) -> io::Result<Option<Sha256Digest>> {
        let stored = match self.stream {
            Stream::Gzip(d) => d.into_inner(),
            Stream::Bzip2(d) => d.into_inner(),
            Stream::Xz(d) => d.into_inner(),
            Stream::Zstd(d) => d.into_inner(),
            Stream::Utf16(d) => d.into_inner(),
        };
        // Bytes in the BufReader's buffer were hashed when they were read.
        let mut rest = stored.into_inner();
        if rest.hasher.is_none() {
            return Ok(None);
        }
        io::copy(&mut rest, &mut io::sink())?;
        Ok(rest.digest())
    }

    /// What a read that met an error had decoded before it, at most `up_to`
    /// bytes: the content decoded again from its start, past what was
    /// handed out, a byte at a time up to the error (only a corrupt file
    /// pays for it). Up to a megabyte of lines before the corruption,
    /// among them requests for exposed resources, was lost without it.
    fn salvage(&self, up_to: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        let Ok(mut again) = Stream::open(&self.path, self.compression, false) else {
            return bytes;
        };
        let skipped = io::copy(&mut (&mut again).take(self.delivered), &mut io::sink());
        if skipped.ok() != Some(self.delivered) {
            return bytes;
        }
        let mut one = [0u8; 1];
        while bytes.len() < up_to {
            match again.read(&mut one) {
                Ok(1) => bytes.push(one[0]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    // xz writes the stream's last byte in the call that
                    // then reads past its end: its count shows it.
                    let made = self.delivered + bytes.len() as u64;
                    if again.produced().is_some_and(|produced| produced > made) {
                        bytes.push(one[0]);
                    }
                    break;
                }
                Ok(_) => break,
            }
        }
        bytes
    }
}

impl Read for Decoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = match &mut self.salvaged {
            Some((bytes, error)) => match bytes.read(buf)? {
                0 if !buf.is_empty() => Err(error
                    .take()
                    .unwrap_or_else(|| io::Error::other("the content ended in an error"))),
                n => Ok(n),
            },
            None => match self.stream.read(buf) {
                Err(e)
                    if e.kind() != io::ErrorKind::Interrupted && self.stream.drops_on_error() =>
                {
                    let bytes = self.salvage(buf.len());
                    self.salvaged = Some((io::Cursor::new(bytes), Some(e)));
                    return self.read(buf);
                }
                read => read,
            },
        };
        if let Ok(n) = read {
            self.delivered += n as u64;
        }
        read
    }
}

/// The SHA-256 of a file, read as a stream.
pub fn hash_file(path: &Path) -> io::Result<Sha256Digest> {
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(Sha256Digest::of_hasher(hasher))
}

/// The SHA-256 of a compressed file's decompressed content: the bytes a
/// scan reads, up to any corruption (what decodes before it is hashed, as
/// the scan keeps the lines before it).
pub fn hash_decoded(path: &Path, compression: Compression) -> io::Result<Sha256Digest> {
    let mut decoder = Decoder::open(path, compression, false)?;
    let mut hasher = Sha256::new();
    // An error ends the content; every byte read before it was hashed.
    let _ = io::copy(&mut decoder, &mut hasher);
    Ok(Sha256Digest::of_hasher(hasher))
}

/// The length of a gzip file's content modulo 2^32, from its trailer: the
/// whole content's for a file of one member (nearly all), its last
/// member's otherwise. `None` when it cannot be read.
pub fn gzip_length(path: &Path) -> Option<u32> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::End(-4)).ok()?;
    let mut trailer = [0u8; 4];
    file.read_exact(&mut trailer).ok()?;
    Some(u32::from_le_bytes(trailer))
}

/// The SHA-256 of bytes.
pub fn hash_bytes(bytes: &[u8]) -> Sha256Digest {
    Sha256Digest(Sha256::digest(bytes).into())
}

/// A SHA-256 digest, kept as its 32 bytes and shown as lower-case hex.
/// Kept for every input file: as hex text it took 88 bytes more a file.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// What `hasher` has taken in.
    pub fn of_hasher(hasher: Sha256) -> Sha256Digest {
        Sha256Digest(hasher.finalize().into())
    }

    /// Reads 64 hex digits (either case); `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Sha256Digest> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Sha256Digest(bytes))
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A reader that hashes every byte that passes through it (when asked to).
pub struct HashingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
    bytes_read: u64,
}

impl<R> HashingReader<R> {
    fn new(inner: R, hash: bool) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: hash.then(Sha256::new),
            bytes_read: 0,
        }
    }

    /// How many bytes passed through so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn digest(self) -> Option<Sha256Digest> {
        self.hasher.map(Sha256Digest::of_hasher)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes_read += n as u64;
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// The first `limit` decompressed bytes of a compressed file (fewer if it
/// ends first); used to detect its format. Content that stops decoding
/// early (a file cut short, as a log rotated while it was written leaves
/// it) gives its lines up to the last line end before the damage, which
/// the scan reads too: it used to give nothing, and the format of such a
/// file went undetected.
///
/// `file` is `path` opened (by `open`); `use_head` is given the head, or
/// nothing when the file cannot be decoded at all. The head is decoded
/// into a buffer this thread keeps: made and zeroed for each file, it cost
/// more than decoding a small file's few kilobytes.
pub fn with_decoded_head<T>(
    (file, path): (File, &Path),
    compression: Compression,
    limit: usize,
    use_head: impl FnOnce(&[u8], HeadStart) -> T,
) -> T {
    thread_local! {
        static HEAD: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    }
    let Ok(mut decoder) = Decoder::of_file(file, path, compression, false) else {
        return use_head(&[], HeadStart::default());
    };
    let mut out = HEAD.take();
    if out.len() < limit {
        out.resize(limit, 0);
    }
    let (mut filled, mut end) = fill(&mut decoder, &mut out[..limit]);
    let mut start = HeadStart::default();
    // A first line of NUL bytes longer than the head (a copytruncate
    // hole, copied and compressed with the rest) is read past, to the
    // head after it.
    if filled == limit && out[0] == 0 && memchr::memchr(b'\n', &out[..filled]).is_none() {
        if let Some(past) = read_past_line(&mut decoder, &mut out[..limit], limit as u64) {
            start = HeadStart {
                offset: past.0,
                lines: 1,
            };
            (filled, end) = (past.1, past.2);
        }
    }
    if end.is_err() {
        filled = memchr::memrchr(b'\n', &out[..filled]).map_or(0, |end| end + 1);
    }
    let value = use_head(&out[..filled], start);
    HEAD.set(out);
    value
}

/// Where a decoded head starts in the content: past how many bytes and
/// lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeadStart {
    pub offset: u64,
    pub lines: u64,
}

/// Reads on from `read` bytes into a line that fills `buf`, to its end,
/// and fills `buf` with what follows it: where that starts, how many bytes
/// it holds, and how the reading ended. `None` when the content ends, or
/// breaks off, inside the line.
fn read_past_line(
    reader: &mut impl Read,
    buf: &mut [u8],
    mut read: u64,
) -> Option<(u64, usize, io::Result<()>)> {
    loop {
        let (filled, end) = fill(reader, buf);
        if let Some(line_end) = memchr::memchr(b'\n', &buf[..filled]) {
            let after = line_end + 1;
            buf.copy_within(after..filled, 0);
            let (more, end) = match end {
                Ok(()) => fill(reader, &mut buf[filled - after..]),
                Err(e) => (0, Err(e)),
            };
            return Some((read + after as u64, filled - after + more, end));
        }
        if filled < buf.len() || end.is_err() {
            return None;
        }
        read += filled as u64;
    }
}

/// Reads until `buf` is full or the reader ends.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let (filled, end) = fill(reader, buf);
    end.map(|()| filled)
}

/// Reads until `buf` is full, the reader ends or an error stops it: how
/// many bytes were read, and the error if one stopped it.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> (usize, io::Result<()>) {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Err(e)),
        }
    }
    (filled, Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::utf16::encode;

    #[test]
    fn hashes_files_as_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        std::fs::write(&path, b"abc").unwrap();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(hash_file(&path).unwrap().to_string(), abc);
        assert_eq!(hash_bytes(b"abc").to_string(), abc);
        assert_eq!(Sha256Digest::from_hex(abc), Some(hash_bytes(b"abc")));
        let upper = abc.to_ascii_uppercase();
        assert_eq!(Sha256Digest::from_hex(&upper), Some(hash_bytes(b"abc")));
        for not_one in [
            &abc[1..],
            "",
            &format!("{}g", &abc[1..]),
            &format!("{abc}0"),
        ] {
            assert_eq!(Sha256Digest::from_hex(not_one), None, "{not_one}");
        }
    }

    #[test]
    fn a_gzip_trailer_gives_the_content_length() {
        use std::io::Write;
        let content = b"line one\nline two\n".repeat(1000);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&content).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gz");
        std::fs::write(&path, enc.finish().unwrap()).unwrap();
        assert_eq!(gzip_length(&path), Some(content.len() as u32));
        assert_eq!(
            hash_decoded(&path, Compression::Gzip).unwrap(),
            hash_bytes(&content)
        );
        assert_eq!(gzip_length(&dir.path().join("missing.gz")), None);
    }

    #[test]
    fn gzip_hash_covers_bytes_after_a_corrupt_member() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"line\n").unwrap();
        let mut data = enc.finish().unwrap();
        data.extend_from_slice(b"\x1f\x8b garbage that is not a member");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gz");
        std::fs::write(&path, &data).unwrap();
        let mut stream = Decoder::open(&path, Compression::Gzip, true).unwrap();
        let mut out = Vec::new();
        assert!(stream.read_to_end(&mut out).is_err());
        assert_eq!(stream.finish_hash().unwrap(), Some(hash_bytes(&data)));
        let unhashed = Decoder::open(&path, Compression::Gzip, false).unwrap();
        assert_eq!(unhashed.finish_hash().unwrap(), None);
    }

    /// `text` compressed as two members, streams or frames (UTF-16: text
    /// stored once, after its byte-order mark).
    fn compressed_twice(compression: Compression, text: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let utf16 = |big_endian| encode(std::str::from_utf8(text).unwrap(), big_endian);
        match compression {
            Compression::Utf16Le => return utf16(false),
            Compression::Utf16Be => return utf16(true),
            _ => {}
        }
        let once = |part: &[u8]| -> Vec<u8> {
            match compression {
                Compression::Gzip => {
                    let mut e = flate2::write::GzEncoder::new(Vec::new(), Default::default());
                    e.write_all(part).unwrap();
                    e.finish().unwrap()
                }
                Compression::Bzip2 => {
                    let mut e = bzip2::write::BzEncoder::new(Vec::new(), Default::default());
                    e.write_all(part).unwrap();
                    e.finish().unwrap()
                }
                Compression::Xz => {
                    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
                    e.write_all(part).unwrap();
                    e.finish().unwrap()
                }
                Compression::Zstd => zstd::encode_all(part, 3).unwrap(),
                _ => part.to_vec(),
            }
        };
        let (a, b) = text.split_at(text.len() / 2);
        [once(a), once(b)].concat()
    }

    /// The compressions decoded as streams.
    const COMPRESSED: [Compression; 4] = [
        Compression::Gzip,
        Compression::Bzip2,
        Compression::Xz,
        Compression::Zstd,
    ];

    #[test]
    fn every_compression_is_decoded_to_its_end_and_hashed_as_stored() {
        let text = b"first line\nsecond line\nthird line\n";
        let dir = tempfile::tempdir().unwrap();
        let utf16 = [Compression::Utf16Le, Compression::Utf16Be];
        for compression in COMPRESSED.into_iter().chain(utf16) {
            let stored = compressed_twice(compression, text);
            assert_eq!(Compression::sniff(&stored), compression);
            let path = dir.path().join(compression.name());
            std::fs::write(&path, &stored).unwrap();
            let (content, file) = open(&path).unwrap();
            assert!(matches!(content, Content::Stream(c) if c == compression));
            let mut decoder = Decoder::open(&path, compression, true).unwrap();
            let mut out = Vec::new();
            decoder.read_to_end(&mut out).unwrap();
            assert_eq!(out, text, "{}", compression.name());
            assert_eq!(decoder.stored_bytes_read(), stored.len() as u64);
            assert_eq!(decoder.finish_hash().unwrap(), Some(hash_bytes(&stored)));
            let head =
                with_decoded_head((file.unwrap(), &path), compression, 12, |h, _| h.to_vec());
            assert_eq!(head, &text[..12]);
        }
    }

    #[test]
    fn a_zstd_file_that_starts_with_a_skippable_frame_is_read() {
        let text = b"a line\nanother line\n";
        let skippable = [&[0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0][..], b"meta"].concat();
        let stored = [skippable, zstd::encode_all(&text[..], 3).unwrap()].concat();
        assert_eq!(Compression::sniff(&stored), Compression::Zstd);
        // LZ4 writes the same skippable frames: it is no zstd.
        let lz4 = [
            &[0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0][..],
            b"meta",
            b"\x04\x22\x4d\x18",
        ]
        .concat();
        assert_eq!(Compression::sniff(&lz4), Compression::None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.zst");
        std::fs::write(&path, &stored).unwrap();
        let mut out = Vec::new();
        let mut decoder = Decoder::open(&path, Compression::Zstd, false).unwrap();
        decoder.read_to_end(&mut out).unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn a_gzip_member_that_fails_its_check_is_suspect_from_its_start() {
        use std::io::Write;
        let gzip = |text: &[u8]| {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(text).unwrap();
            enc.finish().unwrap()
        };
        let (first, second) = (
            b"first member\n".repeat(100),
            b"second member\n".repeat(100),
        );
        let dir = tempfile::tempdir().unwrap();
        let read_to_error = |stored: &[u8]| {
            let path = dir.path().join("x.gz");
            std::fs::write(&path, stored).unwrap();
            let mut decoder = Decoder::open(&path, Compression::Gzip, false).unwrap();
            let mut out = Vec::new();
            let error = decoder.read_to_end(&mut out).unwrap_err();
            (out.len(), decoder.suspect_from(&error))
        };
        // The second member's CRC changed: its bytes were handed out, all.
        let mut failing = gzip(&second);
        let crc = failing.len() - 8;
        failing[crc] ^= 1;
        let stored = [gzip(&first), failing].concat();
        let whole = first.len() + second.len();
        assert_eq!(read_to_error(&stored), (whole, Some(first.len() as u64)));
        // A member that starts inside a line: from that line's start.
        let mut failing = gzip(&[&b"er\n"[..], &second].concat());
        let crc = failing.len() - 8;
        failing[crc] ^= 1;
        let stored = [gzip(&first[..first.len() - 3]), failing].concat();
        let line = first.len() - b"first member\n".len();
        assert_eq!(read_to_error(&stored).1, Some(line as u64));
        // Cut short: what was decoded is what was written.
        let cut = &stored[..stored.len() - 30];
        assert_eq!(read_to_error(cut).1, None);
    }

    /// Garbage between two streams: every byte decoded before it is handed
    /// out, then the error. The bzip2, xz and zstd decoders dropped what
    /// the read that met the error had decoded: all of a small file.
    #[test]
    fn what_was_decoded_before_an_error_is_handed_out() {
        let text: Vec<u8> = (0..3000)
            .flat_map(|i| format!("203.0.113.9 line {i} of the first stream\n").into_bytes())
            .collect();
        let dir = tempfile::tempdir().unwrap();
        for compression in COMPRESSED {
            // Two identical halves: the first is one stream of `text`.
            let twice = compressed_twice(compression, &[&text[..], &text[..]].concat());
            let one = &twice[..twice.len() / 2];
            let stored = [one, b"not a stream at all", one].concat();
            let path = dir.path().join(compression.name());
            std::fs::write(&path, &stored).unwrap();
            let mut decoder = Decoder::open(&path, compression, true).unwrap();
            let mut out = Vec::new();
            let read = decoder.read_to_end(&mut out);
            let name = compression.name();
            assert!(read.is_err(), "{name}");
            assert!(
                out.starts_with(&text),
                "{name}: {} of {}",
                out.len(),
                text.len()
            );
            assert_eq!(decoder.finish_hash().unwrap(), Some(hash_bytes(&stored)));
        }
    }

    /// A stream or frame of bzip2, xz or zstd that fails its check is
    /// suspect from its start, as a gzip member is: a changed byte of a
    /// zstd frame decoded into other times and paths up to the checksum at
    /// its end, and the lines before the read that met it were trusted.
    #[test]
    fn a_stream_or_frame_that_fails_its_check_is_suspect_from_its_start() {
        use std::io::Write;
        let lines = |what: &str| -> Vec<u8> {
            (0..3000)
                .flat_map(|i| format!("203.0.113.9 line {i} of the {what} stream\n").into_bytes())
                .collect()
        };
        let (first, second) = (lines("first"), lines("second"));
        let dir = tempfile::tempdir().unwrap();
        for compression in COMPRESSED {
            let once = |text: &[u8]| match compression {
                // As the zstd tool writes frames: with their checksum.
                Compression::Zstd => {
                    let mut e = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
                    e.include_checksum(true).unwrap();
                    e.write_all(text).unwrap();
                    e.finish().unwrap()
                }
                _ => {
                    let twice = compressed_twice(compression, &[text, text].concat());
                    twice[..twice.len() / 2].to_vec()
                }
            };
            let mut failing = once(&second);
            let middle = failing.len() / 2;
            failing[middle] ^= 0x10;
            let stored = [once(&first), failing].concat();
            let path = dir.path().join(compression.name());
            std::fs::write(&path, &stored).unwrap();
            let mut decoder = Decoder::open(&path, compression, false).unwrap();
            let error = decoder.read_to_end(&mut Vec::new()).unwrap_err();
            let name = compression.name();
            let from = decoder.suspect_from(&error);
            assert_eq!(from, Some(first.len() as u64), "{name}: {error}");
        }
    }

    #[test]
    fn xz_stream_padding_is_read_past_as_xz_reads_it() {
        let text = b"203.0.113.9 a line\n".repeat(50);
        let stream = compressed_twice(Compression::Xz, &[&text[..], &text[..]].concat());
        let one = &stream[..stream.len() / 2];
        let dir = tempfile::tempdir().unwrap();
        let read = |stored: &[u8]| {
            let path = dir.path().join("x.xz");
            std::fs::write(&path, stored).unwrap();
            let mut decoder = Decoder::open(&path, Compression::Xz, false).unwrap();
            let mut out = Vec::new();
            decoder.read_to_end(&mut out).map(|_| out.len())
        };
        // Padding in fours between two streams; at the end, NUL bytes may
        // be where a stream was lost.
        let padded = [one, &[0; 8], one].concat();
        assert_eq!(read(&padded).unwrap(), 2 * text.len());
        assert!(read(&[one, &[0; 4]].concat()).is_err());
        assert!(read(&[one, &[0; 3], one].concat()).is_err());
        // The stream checked before them is not suspect.
        let path = dir.path().join("x.xz");
        std::fs::write(&path, [one, &[0; 3]].concat()).unwrap();
        let mut decoder = Decoder::open(&path, Compression::Xz, false).unwrap();
        let error = decoder.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(decoder.suspect_from(&error), Some(text.len() as u64));
    }

    #[test]
    fn content_that_is_no_text_is_named() {
        let log = b"203.0.113.9 - - [15/Nov/2022:03:02:00 +0000] \"GET /a HTTP/1.1\" 200 5\n";
        let mut tar = vec![0u8; 512];
        tar[..7].copy_from_slice(b"a.log\0\0");
        tar[257..262].copy_from_slice(b"ustar");
        tar.extend_from_slice(log);
        let binary: Vec<u8> = (0..=255u8).cycle().take(600).collect();
        let french = "journal d'accès: requête refusée à l'hôte\n".repeat(3);
        let latin1: Vec<u8> = french.chars().map(|c| c as u32 as u8).collect();
        let table: [(&[u8], bool, Option<&str>); 11] = [
            (log, false, None),
            (log, true, None),
            (
                b"PK\x03\x04\x14\x00rest of a zip",
                true,
                Some("a zip archive"),
            ),
            (b"\x04\x22\x4d\x18 frame", true, Some("LZ4-compressed")),
            // A tar of logs whose lines read is read; one whose lines do
            // not is named.
            (&tar, true, None),
            (&tar, false, Some("a tar archive")),
            (&binary, false, Some("binary data")),
            (&binary, true, None),
            // Text in another language or encoding, or a few stray bytes,
            // is text; a host named like a signature too.
            (french.as_bytes(), false, None),
            (&latin1, false, None),
            (
                b"MSCF-WEB01:80 203.0.113.9 - - [15/Nov/2022:03:02:00 +0000]",
                true,
                None,
            ),
        ];
        for (head, read_as_log, want) in table {
            let shown = String::from_utf8_lossy(&head[..head.len().min(20)]).into_owned();
            assert_eq!(not_text(head, read_as_log), want, "{shown:?} {read_as_log}");
        }
    }

    #[test]
    fn plain_files_are_read_again_only_while_they_are_what_was_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let long = vec![b'a'; READ_UP_TO as usize * 2];
        for content in [&b"line one\nline two\n"[..], &long] {
            std::fs::write(&path, content).unwrap();
            let (Content::Plain(plain), Some(file)) = open(&path).unwrap() else {
                panic!("a plain file, opened");
            };
            let bytes = read_range(&file, 0..plain.len, <[u8]>::to_vec).unwrap();
            assert_eq!(bytes, content);
            assert_eq!(plain.len, content.len() as u64);
            let end = plain.len;
            let read = |range| plain.read(&path, range, <[u8]>::to_vec);
            assert_eq!(read(5..end).unwrap(), &content[5..]);
            // Appended to: what was first opened is still there.
            let mut grown = content.to_vec();
            grown.extend_from_slice(b"more\n");
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            std::io::Write::write_all(&mut file, b"more\n").unwrap();
            assert_eq!(read(0..end).unwrap(), &grown[..content.len()]);
            // Cut short.
            file.set_len(3).unwrap();
            let cut = read(0..end).unwrap_err().to_string();
            assert_eq!(
                cut,
                format!("it was cut from {end} to 3 bytes during the scan")
            );
            // Another file in its place, as when logs are rotated.
            let other = dir.path().join("other.log");
            std::fs::write(&other, &grown).unwrap();
            std::fs::rename(&other, &path).unwrap();
            let replaced = read(0..end).unwrap_err().to_string();
            assert_eq!(replaced, "another file took its place during the scan");
            // A copy of the same length modified at the same instant is
            // taken to be the file (some file systems number a file anew);
            // a longer one is not.
            let first_modified = std::time::UNIX_EPOCH
                + std::time::Duration::new(plain.modified.0 as u64, plain.modified.1 as u32);
            for (copy, same) in [(content, true), (&grown[..], false)] {
                std::fs::write(&other, copy).unwrap();
                let file = std::fs::File::options().write(true).open(&other).unwrap();
                file.set_modified(first_modified).unwrap();
                std::fs::rename(&other, &path).unwrap();
                assert_eq!(read(0..end).is_ok(), same);
            }
        }
        std::fs::write(&path, "").unwrap();
        assert!(matches!(open(&path).unwrap(), (Content::Empty, None)));
    }

    #[test]
    fn a_file_cut_inside_the_last_page_of_its_map_is_an_error() {
        // Cut inside the map's last page: no fault, only zeros from the cut
        // to the page's end.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let len = READ_UP_TO + 4096 + 100;
        std::fs::write(&path, vec![b'a'; len as usize]).unwrap();
        let (Content::Plain(plain), Some(_)) = open(&path).unwrap() else {
            panic!("a plain file, opened");
        };
        let cut_and_count = |bytes: &[u8]| {
            let file = File::options().write(true).open(&path).unwrap();
            file.set_len(len - 50).unwrap();
            bytes.iter().filter(|&&b| b == b'a').count()
        };
        let e = plain.read(&path, 100..len, cut_and_count).unwrap_err();
        let want = format!(
            "it was cut to {} bytes while bytes up to {len} were read",
            len - 50
        );
        assert_eq!(e.to_string(), want);
    }

    #[test]
    fn sniffs_magic_bytes() {
        let table: &[(&[u8], Compression)] = &[
            (&[0x1f, 0x8b, 8, 0], Compression::Gzip),
            (b"BZh91AY", Compression::Bzip2),
            (b"BZh9\x17\x72\x45\x38\x50\x90\0\0\0\0", Compression::Bzip2),
            (b"BZh9", Compression::Bzip2),
            // A vhost log's first line.
            (b"BZhost.example.com:80 1.2.3.4 - -", Compression::None),
            (b"BZh9 1.2.3.4 - -", Compression::None),
            (&[0xfd, b'7', b'z', b'X', b'Z', 0], Compression::Xz),
            (&[0x28, 0xb5, 0x2f, 0xfd], Compression::Zstd),
            (&[0xff, 0xfe, b'1', 0], Compression::Utf16Le),
            (&[0xfe, 0xff, 0, b'1'], Compression::Utf16Be),
            (&[0xff, 0xfe, 0, 0], Compression::None),
            // A plain line that starts with the mark's bytes.
            (b"\xff\xfeab 1.2.3.4", Compression::None),
            (b"\xfe\xffab 1.2.3.4", Compression::None),
            (&[0xff, 0xfe], Compression::None),
            (b"1.2.3.4 - -", Compression::None),
            (b"", Compression::None),
            (&[0x1f], Compression::None),
        ];
        for (head, want) in table {
            assert_eq!(Compression::sniff(head), *want, "{head:?}");
        }
    }
}
