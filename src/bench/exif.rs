//! EXIF blocks as a phone camera writes them: the bench's upload photos carry a capture time
//! like real evidence does, and the tests craft capture times, places and orientations.

/// What a phone camera writes into a photo's EXIF block.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exif<'a> {
    pub orientation: Option<u16>,
    /// `2026:11:20 09:30:00`, the camera's local time.
    pub captured: Option<&'a str>,
    /// (latitude, longitude) in degrees, north and east.
    pub gps: Option<(f64, f64)>,
}

/// `jpeg` with an EXIF block (APP1) inserted after its start marker, as a phone writes it.
pub fn with_exif(jpeg: &[u8], exif: Exif<'_>) -> Vec<u8> {
    let tiff = exif_tiff(exif);
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&u16::try_from(tiff.len() + 8).unwrap().to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A big-endian TIFF block: IFD0 (Orientation and the pointers), the Exif IFD
/// (DateTimeOriginal) and the GPS IFD, each only when `exif` has its part, then their values.
fn exif_tiff(exif: Exif<'_>) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&value);
    }
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let ifd_len = |n: u32| 2 + 12 * n + 4;
    let n0 = u32::from(exif.orientation.is_some())
        + u32::from(exif.captured.is_some())
        + u32::from(exif.gps.is_some());
    let exif_ifd = 8 + ifd_len(n0);
    let gps_ifd = exif_ifd
        + if exif.captured.is_some() {
            ifd_len(1)
        } else {
            0
        };
    let date = gps_ifd + if exif.gps.is_some() { ifd_len(4) } else { 0 };
    let lat = date + if exif.captured.is_some() { 20 } else { 0 };
    let lng = lat + 24;
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    t.extend_from_slice(&(n0 as u16).to_be_bytes());
    if let Some(o) = exif.orientation {
        let o = o.to_be_bytes();
        entry(&mut t, 0x0112, SHORT, 1, [o[0], o[1], 0, 0]);
    }
    if exif.captured.is_some() {
        entry(&mut t, 0x8769, LONG, 1, exif_ifd.to_be_bytes());
    }
    if exif.gps.is_some() {
        entry(&mut t, 0x8825, LONG, 1, gps_ifd.to_be_bytes());
    }
    t.extend_from_slice(&0u32.to_be_bytes());
    if let Some(captured) = exif.captured {
        assert_eq!(t.len(), exif_ifd as usize);
        t.extend_from_slice(&1u16.to_be_bytes());
        entry(&mut t, 0x9003, ASCII, 20, date.to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(captured.len(), 19, "YYYY:MM:DD HH:MM:SS");
    }
    if exif.gps.is_some() {
        assert_eq!(t.len(), gps_ifd as usize);
        t.extend_from_slice(&4u16.to_be_bytes());
        entry(&mut t, 0x0001, ASCII, 2, *b"N\0\0\0");
        entry(&mut t, 0x0002, RATIONAL, 3, lat.to_be_bytes());
        entry(&mut t, 0x0003, ASCII, 2, *b"E\0\0\0");
        entry(&mut t, 0x0004, RATIONAL, 3, lng.to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
    }
    if let Some(captured) = exif.captured {
        assert_eq!(t.len(), date as usize);
        t.extend_from_slice(captured.as_bytes());
        t.push(0);
    }
    if let Some((lat_deg, lng_deg)) = exif.gps {
        assert_eq!(t.len(), lat as usize);
        // Degrees, minutes and hundredths of seconds, as cameras write them.
        for v in [lat_deg, lng_deg] {
            let deg = v.trunc();
            let min = ((v - deg) * 60.0).trunc();
            let cs = (((v - deg) * 60.0 - min) * 6000.0).round();
            for (n, d) in [(deg as u32, 1u32), (min as u32, 1), (cs as u32, 100)] {
                t.extend_from_slice(&n.to_be_bytes());
                t.extend_from_slice(&d.to_be_bytes());
            }
        }
    }
    t
}
