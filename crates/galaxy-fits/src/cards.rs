//! Raw header cards: read from one HDU and written verbatim into another, so a catalogue's own keys
//! survive a merge of its parts byte for byte, whatever they are.

use fitsio::FitsFile;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};

/// Keywords that describe a table's layout: cfitsio writes them from the columns, so they are not copied.
fn is_structural(name: &str) -> bool {
    const FIXED: [&str; 10] = [
        "SIMPLE", "XTENSION", "BITPIX", "NAXIS", "PCOUNT", "GCOUNT", "TFIELDS", "EXTNAME",
        "EXTEND", "END",
    ];
    let indexed = ["NAXIS", "TTYPE", "TFORM", "TBCOL"];
    FIXED.contains(&name)
        || indexed.iter().any(|p| {
            name.strip_prefix(p)
                .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// The 80-character cards of the current HDU of `file`, less the structural ones, in header order.
pub(crate) fn read_cards(file: &mut FitsFile) -> Result<Vec<String>, fitsio::errors::Error> {
    let mut status: c_int = 0;
    let (mut count, mut more): (c_int, c_int) = (0, 0);
    // SAFETY: `file` is an open cfitsio file (fitsio keeps the pointer valid while borrowed), the out
    // parameters are valid for writes, and each card buffer holds the 81 bytes cfitsio writes (80 + NUL).
    unsafe {
        fitsio::sys::ffghsp(file.as_raw(), &mut count, &mut more, &mut status);
    }
    fitsio::errors::check_status(status)?;
    let mut cards = Vec::with_capacity(count as usize);
    for k in 1..=count {
        let mut buffer = [0 as c_char; 81];
        unsafe {
            fitsio::sys::ffgrec(file.as_raw(), k, buffer.as_mut_ptr(), &mut status);
        }
        fitsio::errors::check_status(status)?;
        // SAFETY: cfitsio NUL-terminates the card within the buffer.
        let card = unsafe { CStr::from_ptr(buffer.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        let name = card.get(..8).unwrap_or(&card).trim_end();
        if !is_structural(name) {
            cards.push(card);
        }
    }
    Ok(cards)
}

/// Appends `cards` verbatim to the current HDU of `file`.
pub(crate) fn write_cards(
    file: &mut FitsFile,
    cards: &[String],
) -> Result<(), fitsio::errors::Error> {
    for card in cards {
        let text = CString::new(card.as_str()).map_err(|_| {
            fitsio::errors::Error::Message(format!("header card with a NUL byte: {card:?}"))
        })?;
        let mut status: c_int = 0;
        // SAFETY: as in `read_cards`; `text` is NUL-terminated and outlives the call.
        unsafe {
            fitsio::sys::ffprec(file.as_raw(), text.as_ptr(), &mut status);
        }
        fitsio::errors::check_status(status)?;
    }
    Ok(())
}
