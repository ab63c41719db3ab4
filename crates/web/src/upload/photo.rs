//! What a photo tells about itself (EXIF capture time and position) and its thumbnail.
//!
//! Decoding is the one place an upload needs a whole file in memory, so it runs under limits:
//! `image::Limits` refuses images whose declared size would need more memory than
//! `MAX_DECODE_BYTES` (a decompression bomb declares a huge size in a small file), and at most
//! `DECODE_SLOTS` decodes run at once, off the async threads.

use anze_core::attachment::{FileKind, valid_gps};
use chrono::{DateTime, NaiveDate, Utc};
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Longest side of a thumbnail: sharp on a high-density phone at the list's 200-pixel size.
const THUMB_PX: u32 = 400;
const THUMB_QUALITY: u8 = 80;
/// Widest and tallest image decoded: beyond any phone camera (a 200 MP sensor is 16320 wide).
const MAX_SIDE: u32 = 16_384;
/// Memory one decode may take: a 40-megapixel photo in RGB.
const MAX_DECODE_BYTES: u64 = 128 * 1024 * 1024;
/// Decodes at once in the whole process; the machine has two cores, and each decode can take
/// `MAX_DECODE_BYTES`.
static DECODE_SLOTS: Semaphore = Semaphore::const_new(2);

#[derive(Debug, Default)]
pub struct PhotoFacts {
    pub captured_at: Option<DateTime<Utc>>,
    pub gps: Option<(f64, f64)>,
    /// JPEG bytes, when the image could be decoded.
    pub thumbnail: Option<Vec<u8>>,
    /// When decoded: whether it is all but one colour (see `is_uniform`).
    pub uniform: Option<bool>,
}

/// One of the process's decode slots: hold it while an image's bytes are in memory.
pub async fn decode_slot() -> Option<SemaphorePermit<'static>> {
    DECODE_SLOTS.acquire().await.ok()
}

/// EXIF facts of `bytes`, and a thumbnail when `complete` (the whole file, not just its start)
/// and the format is one the decoder reads. Never fails: a photo without EXIF or that cannot be
/// decoded is still a photo, just without these. Call it holding a `decode_slot`.
pub async fn describe(bytes: Vec<u8>, kind: FileKind, complete: bool) -> PhotoFacts {
    let work = tokio::task::spawn_blocking(move || describe_blocking(&bytes, kind, complete));
    match work.await {
        Ok(facts) => facts,
        Err(e) => {
            // A panic inside a decoder must not take the request down with it.
            tracing::warn!(error = %e, "describing an image failed");
            PhotoFacts::default()
        }
    }
}

fn describe_blocking(bytes: &[u8], kind: FileKind, complete: bool) -> PhotoFacts {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok();
    let orientation = exif
        .as_ref()
        .and_then(|e| e.get_field(exif::Tag::Orientation, exif::In::PRIMARY))
        .and_then(|f| f.value.get_uint(0))
        .and_then(|o| u8::try_from(o).ok())
        .and_then(Orientation::from_exif);
    let (thumbnail, uniform) = if complete && kind.can_thumbnail() {
        match thumbnail(bytes, kind, orientation) {
            Some((jpeg, uniform)) => (jpeg, Some(uniform)),
            None => (None, None),
        }
    } else {
        (None, None)
    };
    PhotoFacts {
        captured_at: exif.as_ref().and_then(captured_at),
        gps: exif.as_ref().and_then(gps),
        thumbnail,
        uniform,
    }
}

/// The thumbnail (when it encodes) and whether the image is uniform; `None` when it does not
/// decode.
fn thumbnail(
    bytes: &[u8],
    kind: FileKind,
    orientation: Option<Orientation>,
) -> Option<(Option<Vec<u8>>, bool)> {
    let format = match kind {
        FileKind::Jpeg => ImageFormat::Jpeg,
        FileKind::Png => ImageFormat::Png,
        FileKind::Webp => ImageFormat::WebP,
        _ => return None,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = match reader.decode() {
        Ok(i) => i,
        Err(e) => {
            tracing::info!(error = %e, "no thumbnail: the image cannot be decoded within limits");
            return None;
        }
    };
    // `thumbnail` scales to fit, up as well as down; a small image stays as it is.
    let mut small = if image.width() <= THUMB_PX && image.height() <= THUMB_PX {
        image
    } else {
        image.thumbnail(THUMB_PX, THUMB_PX)
    };
    if let Some(o) = orientation {
        small.apply_orientation(o);
    }
    let rgb = flatten_on_white(&small);
    let uniform = is_uniform(&rgb);
    let mut out = Vec::new();
    let encoded = JpegEncoder::new_with_quality(&mut out, THUMB_QUALITY)
        .encode_image(&rgb)
        .is_ok();
    Some((encoded.then_some(out), uniform))
}

/// Whether all but a speck of the image is its background colour: a signature pad nobody
/// signed, or signed with a tap. Measured on the thumbnail, where a pen stroke is still a few
/// pixels wide; brightness differs by more than `INK` from the commonest brightness.
pub fn is_uniform(rgb: &RgbImage) -> bool {
    const INK: i32 = 40;
    let luma = |p: &image::Rgb<u8>| {
        let [r, g, b] = p.0;
        (299 * i32::from(r) + 587 * i32::from(g) + 114 * i32::from(b)) / 1000
    };
    let mut histogram = [0u32; 256];
    for p in rgb.pixels() {
        histogram[luma(p) as usize] += 1;
    }
    let background = histogram
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .map_or(255, |(l, _)| l as i32);
    let inked = rgb
        .pixels()
        .filter(|p| (luma(p) - background).abs() > INK)
        .count();
    let total = (rgb.width() as usize) * (rgb.height() as usize);
    inked < Ord::max(20, total / 2000)
}

/// JPEG has no transparency: transparent areas of a PNG become white, as on the page, instead
/// of whatever colour their invisible pixels hold.
fn flatten_on_white(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| {
            let (c, a) = (u16::from(c), u16::from(a));
            ((c * a + 255 * (255 - a)) / 255) as u8
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn ascii(exif: &exif::Exif, tag: exif::Tag) -> Option<Vec<u8>> {
    match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Ascii(v) => v.first().cloned(),
        _ => None,
    }
}

/// 拍摄时间: DateTimeOriginal in the camera's local time, with its offset when recorded and
/// China Standard Time otherwise (the service area's time; phones here rarely record it).
fn captured_at(exif: &exif::Exif) -> Option<DateTime<Utc>> {
    let raw =
        ascii(exif, exif::Tag::DateTimeOriginal).or_else(|| ascii(exif, exif::Tag::DateTime))?;
    let mut dt = exif::DateTime::from_ascii(&raw).ok()?;
    if let Some(offset) = ascii(exif, exif::Tag::OffsetTimeOriginal) {
        let _ = dt.parse_offset(&offset);
    }
    let local = NaiveDate::from_ymd_opt(i32::from(dt.year), dt.month.into(), dt.day.into())?
        .and_hms_opt(dt.hour.into(), dt.minute.into(), dt.second.into())?;
    let offset_minutes = i64::from(dt.offset.unwrap_or(8 * 60));
    Some(
        DateTime::<Utc>::from_naive_utc_and_offset(local, Utc)
            - chrono::Duration::minutes(offset_minutes),
    )
}

/// Degrees from EXIF's degrees/minutes/seconds and hemisphere letter.
fn coordinate(exif: &exif::Exif, value: exif::Tag, hemisphere: exif::Tag) -> Option<f64> {
    let exif::Value::Rational(parts) = &exif.get_field(value, exif::In::PRIMARY)?.value else {
        return None;
    };
    let dms: Vec<f64> = parts.iter().take(3).map(|r| r.to_f64()).collect();
    let degrees =
        dms.first()? + dms.get(1).unwrap_or(&0.0) / 60.0 + dms.get(2).unwrap_or(&0.0) / 3600.0;
    let negative = matches!(
        ascii(exif, hemisphere).as_deref().and_then(|h| h.first()),
        Some(b'S' | b'W')
    );
    Some(if negative { -degrees } else { degrees })
}

fn gps(exif: &exif::Exif) -> Option<(f64, f64)> {
    let lat = coordinate(exif, exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef)?;
    let lng = coordinate(exif, exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef)?;
    valid_gps(lat, lng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_or_tapped_pad_is_uniform_and_a_signature_is_not() {
        let mut pad = RgbImage::from_pixel(400, 130, image::Rgb([255, 255, 255]));
        assert!(is_uniform(&pad));
        for x in 10..14 {
            pad.put_pixel(x, 10, image::Rgb([0, 0, 0]));
        }
        assert!(is_uniform(&pad), "a tap is not a signature");
        for x in 20..380 {
            for dy in 0..2 {
                pad.put_pixel(x, 40 + (x % 50) + dy, image::Rgb([20, 20, 20]));
            }
        }
        assert!(!is_uniform(&pad));
    }
}
