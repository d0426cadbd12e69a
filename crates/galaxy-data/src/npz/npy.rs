//! The `.npy` header: written byte for byte as numpy writes it, parsed for streaming reads.
//!
//! ndarray-npy reads and writes whole arrays; streaming a dataset larger than memory needs the header
//! alone, so this module does that one small job. Only little-endian float32 in C order is produced here,
//! the type of every array in the seed's files.

use std::io::Read;

/// The magic string that opens every `.npy` file.
const MAGIC: &[u8] = b"\x93NUMPY";
/// numpy aligns the data to 64 bytes.
const ALIGN: usize = 64;
/// numpy leaves room after the header dict for a first axis of this many digits (numpy ≥ 1.24).
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// The bytes of a version-1.0 `.npy` header for a C-order little-endian float32 array, identical to what
/// `numpy.save` writes for the same shape.
pub fn f32_header(shape: &[usize]) -> Vec<u8> {
    let shape_repr = match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_repr}, }}");
    if let Some(first) = shape.first() {
        dict.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(first.to_string().len())));
    }
    // magic (6) + version (2) + header length (2) + dict + padding + '\n' is a multiple of 64.
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    let pad = (ALIGN - unpadded % ALIGN) % ALIGN;
    let header_len = dict.len() + pad + 1;
    let mut out = Vec::with_capacity(unpadded + pad);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header_len as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out
}

/// What a parsed `.npy` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// numpy's dtype string, e.g. `<f4`.
    pub descr: String,
    /// Whether the data are in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The array's shape.
    pub shape: Vec<usize>,
}

impl NpyHeader {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the array has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A `.npy` header that cannot be read: what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct NpyError(pub String);

/// Reads a `.npy` header (versions 1, 2 and 3) from the start of a stream, leaving it at the data.
pub fn read_header(reader: &mut impl Read) -> Result<NpyHeader, NpyError> {
    parse_header(reader).map_err(NpyError)
}

fn parse_header(reader: &mut impl Read) -> Result<NpyHeader, String> {
    let mut start = [0u8; 8];
    reader
        .read_exact(&mut start)
        .map_err(|e| format!("cannot read the .npy header: {e}"))?;
    if &start[..6] != MAGIC {
        return Err("not a .npy array (bad magic string)".into());
    }
    let len = match start[6] {
        1 => {
            let mut b = [0u8; 2];
            reader.read_exact(&mut b).map_err(|e| e.to_string())?;
            usize::from(u16::from_le_bytes(b))
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            reader.read_exact(&mut b).map_err(|e| e.to_string())?;
            u32::from_le_bytes(b) as usize
        }
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let mut dict = vec![0u8; len];
    reader
        .read_exact(&mut dict)
        .map_err(|e| format!("truncated .npy header: {e}"))?;
    let dict = String::from_utf8_lossy(&dict);
    parse_dict(&dict)
}

/// The value after `'key':` in a header dict, up to the next top-level comma.
fn dict_value<'a>(dict: &'a str, key: &str) -> Result<&'a str, String> {
    let pattern = format!("'{key}':");
    let at = dict
        .find(&pattern)
        .ok_or_else(|| format!(".npy header has no '{key}': {dict}"))?;
    let rest = dict[at + pattern.len()..].trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')').map(|i| i + 1)
    } else {
        rest.find([',', '}'])
    };
    Ok(rest[..end.ok_or_else(|| format!("malformed .npy header: {dict}"))?].trim())
}

fn parse_dict(dict: &str) -> Result<NpyHeader, String> {
    let descr = dict_value(dict, "descr")?
        .trim_matches(|c| c == '\'' || c == '"')
        .to_string();
    let fortran_order = match dict_value(dict, "fortran_order")? {
        "False" => false,
        "True" => true,
        other => return Err(format!("malformed fortran_order '{other}' in .npy header")),
    };
    let shape_text = dict_value(dict, "shape")?;
    let inner = shape_text.trim_start_matches('(').trim_end_matches(')');
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| format!("malformed shape {shape_text} in .npy header"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NpyHeader {
        descr,
        fortran_order,
        shape,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_is_aligned() {
        for shape in [vec![3usize, 64, 64], vec![200_000, 5], vec![7]] {
            let bytes = f32_header(&shape);
            assert_eq!(bytes.len() % 64, 0);
            let parsed = read_header(&mut bytes.as_slice()).unwrap();
            assert_eq!(
                parsed,
                NpyHeader {
                    descr: "<f4".into(),
                    fortran_order: false,
                    shape
                }
            );
        }
    }

    #[test]
    fn malformed_headers_are_errors() {
        assert!(read_header(&mut &b"\x93NUMPX\x01\x00"[..]).is_err());
        let mut bytes = f32_header(&[2, 2]);
        bytes.truncate(20);
        assert!(read_header(&mut bytes.as_slice()).is_err());
    }
}
