//! Photos as documents print them: scaled to what a thumbnail needs on paper and re-encoded as
//! JPEG, so a report with dozens of photos stays a small file. Made from the stored thumbnail
//! (already upright and flattened); the original in storage is never touched.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ImageReader, Limits};
use std::io::Cursor;

/// Longest side in pixels: a photo block's 52 mm box at about 180 dpi, more than a cell's.
pub const PRINT_PX: u32 = 360;
const QUALITY: u8 = 70;
/// Larger than any thumbnail: what is decoded here is small by construction.
const MAX_SIDE: u32 = 4_096;
const MAX_DECODE_BYTES: u64 = 64 * 1024 * 1024;

/// A photo ready for a document: JPEG bytes and their pixel size.
#[derive(Debug, Clone)]
pub struct PrintPhoto {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The print version of an image (JPEG, PNG or WebP bytes); `None` when it does not decode.
pub fn for_print(bytes: &[u8]) -> Option<PrintPhoto> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader.decode().ok()?;
    let small = if image.width() <= PRINT_PX && image.height() <= PRINT_PX {
        image
    } else {
        image.resize(PRINT_PX, PRINT_PX, FilterType::Triangle)
    };
    let rgb = crate::upload::photo::flatten_on_white(&small);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(&rgb)
        .ok()?;
    Some(PrintPhoto {
        jpeg,
        width: rgb.width(),
        height: rgb.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, RgbImage};

    fn noisy_png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| {
            let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) as u8;
            image::Rgb([v, v.wrapping_mul(3), v.wrapping_add(x as u8)])
        });
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_photo_is_scaled_to_print_size_keeping_its_proportions() {
        let p = for_print(&noisy_png(800, 400)).unwrap();
        assert_eq!((p.width, p.height), (PRINT_PX, PRINT_PX / 2));
        assert_eq!(&p.jpeg[..2], &[0xFF, 0xD8], "JPEG");
        let small = for_print(&noisy_png(120, 90)).unwrap();
        assert_eq!((small.width, small.height), (120, 90), "never enlarged");
        assert!(for_print(b"not an image").is_none());
    }
}
