//! The packed copies as evidence.sqlite stores them: each a run of bytes,
//! split over rows of the `packed` table when larger than a row may be.
//! A copy is read whole (`StoredBytes::read_all`), or, for a large case's
//! requests.csv row parts (about 300 bytes a request), a few pieces at a
//! time as requests.csv is written (`StoredRowParts`).

use std::borrow::Cow;
use std::io;
use std::ops::Range;
use std::sync::Mutex;

use rusqlite::{Connection, MAIN_DB};

use super::LoadError;
use crate::packed::{self, Damaged, RowParts};
use crate::report::csv::RowPartsSource;

/// The rows of one packed copy, read as one run of bytes.
#[derive(Debug)]
pub(super) struct StoredBytes {
    /// Per row, in order: its id, where it starts in the run, its length.
    rows: Vec<(i64, u64, u64)>,
    len: u64,
}

impl StoredBytes {
    /// Where the copy `name` is.
    pub(super) fn of(db: &Connection, name: &str) -> rusqlite::Result<StoredBytes> {
        let mut stmt =
            db.prepare("SELECT id, length(data) FROM packed WHERE name = ?1 ORDER BY id")?;
        let mut rows = Vec::new();
        let mut len = 0u64;
        for row in stmt.query_map([name], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
            let (id, row_len) = row?;
            let row_len = u64::try_from(row_len).unwrap_or(0);
            rows.push((id, len, row_len));
            len += row_len;
        }
        Ok(StoredBytes { rows, len })
    }

    /// The whole copy. Read as blobs, straight into one buffer: selecting
    /// the values would have SQLite copy each first, and the copy of a
    /// large case is megabytes.
    pub(super) fn read_all(&self, db: &Connection) -> rusqlite::Result<Vec<u8>> {
        self.read(db, 0..self.len)
    }

    /// The bytes at `range`, or as many of them as the copy holds.
    pub(super) fn read(&self, db: &Connection, range: Range<u64>) -> rusqlite::Result<Vec<u8>> {
        let end = range.end.min(self.len);
        let mut out =
            Vec::with_capacity(usize::try_from(end.saturating_sub(range.start)).unwrap_or(0));
        let mut at = range.start;
        let mut row = self
            .rows
            .partition_point(|&(_, start, len)| start + len <= at);
        while at < end {
            let (id, start, len) = self.rows[row];
            let take = (start + len).min(end) - at;
            let filled = out.len();
            out.resize(filled + take as usize, 0);
            let blob = db.blob_open(MAIN_DB, c"packed", c"data", id, true)?;
            blob.read_at_exact(&mut out[filled..], (at - start) as usize)?;
            at += take;
            row += 1;
        }
        Ok(out)
    }
}

/// Where a re-run's requests.csv row parts are: held whole (a case of few
/// requests, read while the rest is decoded), or left in evidence.sqlite
/// and read as requests.csv is written (a large case).
#[derive(Debug)]
pub enum RowPartsCopy {
    /// Read whole.
    Held(RowParts),
    /// Read a few pieces at a time.
    Stored(StoredRowParts),
}

impl RowPartsSource for RowPartsCopy {
    fn parts_of(&self, rows: Range<usize>) -> io::Result<(Cow<'_, RowParts>, usize)> {
        match self {
            RowPartsCopy::Held(parts) => parts.parts_of(rows),
            RowPartsCopy::Stored(stored) => stored.parts_of(rows),
        }
    }
}

/// A re-run's requests.csv row parts, left in evidence.sqlite: only where
/// each piece is, and how many rows it holds, is kept beforehand, but every
/// piece is read through once, so that a damaged copy is refused before
/// any output is written, as when the parts are held whole.
#[derive(Debug)]
pub struct StoredRowParts {
    db: Mutex<Connection>,
    bytes: StoredBytes,
    pieces: Vec<StoredPiece>,
}

/// A piece of row parts (see `packed::pack_row_parts`) in its copy.
#[derive(Debug)]
struct StoredPiece {
    /// The request its first row is.
    first: usize,
    rows: usize,
    /// Its bytes in the copy: head and text.
    bytes: Range<u64>,
}

/// How much of a piece is read at first to find its head: a piece of
/// 4,096 rows has a head of about 16 KiB.
const HEAD_READ: u64 = 64 << 10;

impl StoredRowParts {
    /// The row parts in `db`, which must hold one row for each of
    /// `requests` requests.
    pub(super) fn open(db: Connection, requests: usize) -> Result<StoredRowParts, LoadError> {
        let bytes = StoredBytes::of(&db, "request_rows")?;
        let mut pieces = Vec::new();
        let mut at = 0;
        let mut first = 0usize;
        while at < bytes.len {
            let (rows, head, text) = piece_head(&db, &bytes, at)?;
            let end = at
                .checked_add((head as u64).saturating_add(text as u64))
                .filter(|&end| end <= bytes.len)
                .ok_or(Damaged {
                    what: "request rows",
                    at: usize::try_from(at).unwrap_or(usize::MAX),
                })?;
            let piece = StoredPiece {
                first,
                rows,
                bytes: at..end,
            };
            piece.read(&db, &bytes)?;
            pieces.push(piece);
            first = first.saturating_add(rows);
            at = end;
        }
        if first != requests {
            return Err(LoadError::Damaged(Damaged {
                what: "request rows",
                at: 0,
            }));
        }
        Ok(StoredRowParts {
            db: Mutex::new(db),
            bytes,
            pieces,
        })
    }
}

impl RowPartsSource for StoredRowParts {
    fn parts_of(&self, rows: Range<usize>) -> io::Result<(Cow<'_, RowParts>, usize)> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let first = self
            .pieces
            .partition_point(|p| p.first + p.rows <= rows.start);
        let mut text = Vec::new();
        let mut lengths = Vec::with_capacity(rows.len());
        for piece in self.pieces[first..]
            .iter()
            .take_while(|p| p.first < rows.end)
        {
            let parts = piece.read(&db, &self.bytes).map_err(|e| match e {
                LoadError::Sqlite(e) => io::Error::other(e),
                LoadError::Case(e) => io::Error::other(e),
                LoadError::Damaged(e) => io::Error::other(e),
            })?;
            let from = rows.start.max(piece.first) - piece.first;
            let to = rows.end.min(piece.first + piece.rows) - piece.first;
            for i in from..to {
                let (head, tail) = parts.row(i);
                text.extend_from_slice(head);
                text.extend_from_slice(tail);
                lengths.push((head.len(), tail.len()));
            }
        }
        if lengths.len() != rows.len() {
            return Err(io::Error::other(Damaged {
                what: "request rows",
                at: 0,
            }));
        }
        Ok((Cow::Owned(RowParts::new(text, &lengths)), 0))
    }
}

impl StoredPiece {
    /// Its parts, which must be as many as its head says.
    fn read(&self, db: &Connection, bytes: &StoredBytes) -> Result<RowParts, LoadError> {
        let data = bytes.read(db, self.bytes.clone())?;
        let parts = packed::unpack_row_parts(data)?;
        if parts.len() != self.rows {
            return Err(LoadError::Damaged(Damaged {
                what: "request rows",
                at: usize::try_from(self.bytes.start).unwrap_or(usize::MAX),
            }));
        }
        Ok(parts)
    }
}

/// The head of the piece at `at`: read in growing slices until it is
/// whole, or the copy ends (then it is damaged).
fn piece_head(
    db: &Connection,
    bytes: &StoredBytes,
    at: u64,
) -> Result<(usize, usize, usize), LoadError> {
    let mut len = HEAD_READ;
    loop {
        let data = bytes.read(db, at..at.saturating_add(len))?;
        match packed::row_piece_head(&data) {
            Ok(head) => return Ok(head),
            Err(damaged) if at.saturating_add(len) >= bytes.len => {
                return Err(LoadError::Damaged(Damaged {
                    at: damaged
                        .at
                        .saturating_add(usize::try_from(at).unwrap_or(usize::MAX)),
                    ..damaged
                }));
            }
            Err(_) => len = len.saturating_mul(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parts of `rows` rows with texts of varied lengths.
    fn parts(first: usize, rows: usize) -> RowParts {
        let mut text = Vec::new();
        let mut lengths = Vec::new();
        for row in first..first + rows {
            let head = format!("head {row},{}", "h".repeat(row % 7));
            let tail = format!(",tail {row}{}\n", "t".repeat(row % 5));
            text.extend_from_slice(head.as_bytes());
            text.extend_from_slice(tail.as_bytes());
            lengths.push((head.len(), tail.len()));
        }
        RowParts::new(text, &lengths)
    }

    /// A database whose row parts are pieces of `sizes` rows, their bytes
    /// split over table rows of at most `row_bytes`.
    fn stored(sizes: &[usize], row_bytes: usize) -> (Connection, RowParts) {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE packed (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB NOT NULL)",
        )
        .unwrap();
        let mut bytes = Vec::new();
        let mut first = 0;
        for &size in sizes {
            bytes.extend(packed::pack_row_parts(&parts(first, size)));
            first += size;
        }
        for chunk in bytes.chunks(row_bytes) {
            db.execute(
                "INSERT INTO packed (name, data) VALUES ('request_rows', ?1)",
                [chunk],
            )
            .unwrap();
        }
        (db, parts(0, first))
    }

    fn rows_of(source: &dyn RowPartsSource, rows: Range<usize>) -> Vec<(Vec<u8>, Vec<u8>)> {
        let (parts, at) = source.parts_of(rows.clone()).unwrap();
        (at..at + rows.len())
            .map(|i| {
                let (head, tail) = parts.row(i);
                (head.to_vec(), tail.to_vec())
            })
            .collect()
    }

    #[test]
    fn pieces_are_read_as_the_rows_asked_for_need_them() {
        for row_bytes in [7, 100, 1 << 20] {
            let (db, whole) = stored(&[3, 1, 5, 4], row_bytes);
            let stored = StoredRowParts::open(db, 13).unwrap();
            assert_eq!(stored.pieces.len(), 4);
            for rows in [0..13, 0..3, 2..4, 3..4, 4..13, 5..6, 12..13, 7..7] {
                assert_eq!(
                    rows_of(&stored, rows.clone()),
                    rows_of(&whole, rows.clone()),
                    "{rows:?} in rows of {row_bytes} bytes"
                );
            }
        }
    }

    #[test]
    fn a_head_longer_than_the_first_read_is_read_whole() {
        // 40,000 rows: a head of 80,000 bytes, past the first 64 KiB read.
        let (db, whole) = stored(&[2, 40_000, 3], 1 << 20);
        let stored = StoredRowParts::open(db, 40_005).unwrap();
        assert_eq!(stored.pieces.len(), 3);
        for rows in [0..40_005, 1..3, 39_999..40_004] {
            assert_eq!(rows_of(&stored, rows.clone()), rows_of(&whole, rows));
        }
    }

    #[test]
    fn stored_parts_of_another_count_or_cut_short_are_refused() {
        let (db, _) = stored(&[3, 1], 1 << 20);
        let data: Vec<u8> = db
            .query_row("SELECT data FROM packed", [], |r| r.get(0))
            .unwrap();
        assert!(StoredRowParts::open(db, 4).is_ok());
        let (db, _) = stored(&[3, 1], 1 << 20);
        assert!(matches!(
            StoredRowParts::open(db, 5),
            Err(LoadError::Damaged(_))
        ));
        for len in 0..data.len() {
            let (db, _) = stored(&[], 1);
            db.execute(
                "INSERT INTO packed (name, data) VALUES ('request_rows', ?1)",
                [&data[..len]],
            )
            .unwrap();
            assert!(
                matches!(StoredRowParts::open(db, 4), Err(LoadError::Damaged(_))),
                "cut at {len}"
            );
        }
    }
}
