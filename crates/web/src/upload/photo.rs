//! What a photo tells about itself (EXIF capture time and position) and its thumbnail.
//!
//! Decoding is the one place an upload needs a whole file in memory, so it runs under limits:
//! `image::Limits` refuses images whose declared size would need more memory than
//! `MAX_DECODE_BYTES` (a decompression bomb declares a huge size in a small file), and at most
//! `DECODE_SLOTS` decodes run at once, off the async threads.

use anze_core::attachment::{FileKind, PerceptualHash, valid_gps};
use chrono::{DateTime, NaiveDate, Utc};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage};
use image_hasher::{HashAlg, HasherConfig};
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
    /// When decoded and not uniform: the perceptual hash of the upright thumbnail.
    pub phash: Option<PerceptualHash>,
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
    let (thumbnail, uniform, phash) = if complete && kind.can_thumbnail() {
        match thumbnail(bytes, kind, orientation) {
            Some(t) => (t.jpeg, Some(t.uniform), t.phash),
            None => (None, None, None),
        }
    } else {
        (None, None, None)
    };
    PhotoFacts {
        captured_at: exif.as_ref().and_then(captured_at),
        gps: exif.as_ref().and_then(gps),
        thumbnail,
        uniform,
        phash,
    }
}

struct Thumbnail {
    /// `None` when it did not encode.
    jpeg: Option<Vec<u8>>,
    uniform: bool,
    phash: Option<PerceptualHash>,
}

/// The thumbnail, whether the image is uniform and its fingerprint; `None` when it does not
/// decode.
fn thumbnail(bytes: &[u8], kind: FileKind, orientation: Option<Orientation>) -> Option<Thumbnail> {
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
    // A blank page or a white wall hashes alike whoever photographs it: not evidence of reuse.
    let phash = (!uniform).then(|| fingerprint(&rgb));
    let mut out = Vec::new();
    let encoded = JpegEncoder::new_with_quality(&mut out, THUMB_QUALITY)
        .encode_image(&rgb)
        .is_ok();
    Some(Thumbnail {
        jpeg: encoded.then_some(out),
        uniform,
        phash,
    })
}

/// The perceptual hash of an upright thumbnail, as `PHASH_ALG` names it: a dHash (each bit says
/// whether a pixel of the 9×8 grey image is brighter than its right neighbour), which survives
/// re-encoding and resizing but changes when the scene or the framing does.
pub fn fingerprint(rgb: &RgbImage) -> PerceptualHash {
    let hasher = HasherConfig::with_bytes_type::<[u8; 8]>()
        .hash_alg(HashAlg::Gradient)
        .hash_size(8, 8)
        .resize_filter(FilterType::Triangle)
        .to_hasher();
    let hash = hasher.hash_image(rgb);
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(hash.as_bytes());
    PerceptualHash::current(u64::from_le_bytes(bytes))
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
pub fn flatten_on_white(image: &DynamicImage) -> RgbImage {
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

/// How well the fingerprint and `NEAR_DUPLICATE_MAX_DISTANCE` tell copies of a photo from other
/// photos, on generated scenes (shapes, gradients and sensor noise) sent through the real upload
/// path: JPEG bytes in, thumbnail and hash out. docs/integrity.md reports a larger run of the
/// same code (`ANZE_FINGERPRINT_SCENES=200 cargo test --release -p anze-web fingerprint_rates --
/// --nocapture`).
#[cfg(test)]
mod fingerprint_rates {
    use super::*;
    use anze_core::integrity::NEAR_DUPLICATE_MAX_DISTANCE;
    use image::{GenericImageView, Rgb};

    /// xorshift64*: reproducible scenes without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u32) -> u32 {
            (self.next() % u64::from(n)) as u32
        }
        fn f(&mut self) -> f32 {
            (self.next() >> 40) as f32 / (1u64 << 24) as f32
        }
    }

    struct Shape {
        ellipse: bool,
        cx: f32,
        cy: f32,
        rx: f32,
        ry: f32,
        colour: [u8; 3],
    }

    /// A scene: a lit background and shapes, in scene units (0..1 across).
    struct Scene {
        top: [u8; 3],
        bottom: [u8; 3],
        shapes: Vec<Shape>,
    }

    fn colour(rng: &mut Rng) -> [u8; 3] {
        [0, 0, 0].map(|_: u8| rng.below(256) as u8)
    }

    fn scene(seed: u64) -> Scene {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let shapes = (0..12 + rng.below(20))
            .map(|_| Shape {
                ellipse: rng.below(2) == 0,
                cx: rng.f(),
                cy: rng.f(),
                rx: 0.03 + rng.f() * 0.25,
                ry: 0.03 + rng.f() * 0.25,
                colour: colour(&mut rng),
            })
            .collect();
        Scene {
            top: colour(&mut rng),
            bottom: colour(&mut rng),
            shapes,
        }
    }

    /// A photo of `scene` from a camera moved by (`dx`, `dy`) scene units and zoomed by `zoom`,
    /// with the exposure shifted by `light` and fresh sensor noise from `noise_seed`.
    fn shoot(
        scene: &Scene,
        (w, h): (u32, u32),
        (dx, dy, zoom): (f32, f32, f32),
        light: i32,
        noise_seed: u64,
    ) -> RgbImage {
        let mut rng = Rng(noise_seed | 1);
        RgbImage::from_fn(w, h, |x, y| {
            let sx = (x as f32 / w as f32 - 0.5) / zoom + 0.5 + dx;
            let sy = (y as f32 / h as f32 - 0.5) / zoom + 0.5 + dy;
            let t = sy.clamp(0.0, 1.0);
            let mut c = [0, 1, 2]
                .map(|i| f32::from(scene.top[i]) * (1.0 - t) + f32::from(scene.bottom[i]) * t);
            for s in &scene.shapes {
                let (u, v) = ((sx - s.cx) / s.rx, (sy - s.cy) / s.ry);
                let inside = if s.ellipse {
                    u * u + v * v <= 1.0
                } else {
                    u.abs() <= 1.0 && v.abs() <= 1.0
                };
                if inside {
                    // Shading across the shape, as light falls on a real object.
                    let shade = 0.75 + 0.25 * u.clamp(-1.0, 1.0);
                    c = [0, 1, 2].map(|i| f32::from(s.colour[i]) * shade);
                }
            }
            let noise = rng.below(25) as i32 - 12;
            Rgb(c.map(|v| (v as i32 + light + noise).clamp(0, 255) as u8))
        })
    }

    fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(img)
            .unwrap();
        out
    }

    fn decode(bytes: &[u8]) -> RgbImage {
        image::load_from_memory(bytes).unwrap().to_rgb8()
    }

    /// The hash the upload path stores for these JPEG bytes.
    fn uploaded(bytes: &[u8]) -> PerceptualHash {
        let kind = FileKind::sniff(bytes).expect("generated files are images");
        thumbnail(bytes, kind, None)
            .and_then(|t| t.phash)
            .expect("a generated scene decodes and is not uniform")
    }

    fn resize(img: &RgbImage, factor: f32) -> RgbImage {
        let (w, h) = img.dimensions();
        image::imageops::resize(
            img,
            (w as f32 * factor) as u32,
            (h as f32 * factor) as u32,
            FilterType::CatmullRom,
        )
    }

    fn crop(img: &RgbImage, margin: f32) -> RgbImage {
        let (w, h) = img.dimensions();
        let (mx, my) = ((w as f32 * margin) as u32, (h as f32 * margin) as u32);
        img.view(mx, my, w - 2 * mx, h - 2 * my).to_image()
    }

    #[derive(Default)]
    struct Tally {
        pairs: u32,
        matched: u32,
        /// Pairs that also share a 16-bit band, so the indexed lookup finds them.
        found: u32,
        max: u32,
        min: u32,
    }

    impl Tally {
        fn add(&mut self, a: PerceptualHash, b: PerceptualHash) {
            let d = a.distance(b);
            if self.pairs == 0 {
                self.min = d;
            }
            self.pairs += 1;
            self.max = self.max.max(d);
            self.min = self.min.min(d);
            if d <= NEAR_DUPLICATE_MAX_DISTANCE {
                self.matched += 1;
                if a.bands().iter().zip(b.bands()).any(|(x, y)| *x == y) {
                    self.found += 1;
                }
            }
        }
    }

    /// A copy of a photo made from the scene or the uploaded bytes (re-save, resize, …).
    type Copy = Box<dyn Fn(&RgbImage, &[u8]) -> Vec<u8>>;
    /// An edit of the scene before it is saved (a crop).
    type Edit = Box<dyn Fn(&RgbImage) -> RgbImage>;

    #[test]
    fn copies_match_and_other_photos_do_not() {
        let scenes: u64 = std::env::var("ANZE_FINGERPRINT_SCENES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2);
        let size = (480, 360);
        let copies: Vec<(&str, Copy)> = vec![
            (
                "同一文件再存 JPEG 质量 90",
                Box::new(|_, b| jpeg(&decode(b), 90)),
            ),
            ("再存 JPEG 质量 60", Box::new(|_, b| jpeg(&decode(b), 60))),
            ("再存 JPEG 质量 30", Box::new(|_, b| jpeg(&decode(b), 30))),
            ("缩小到 50%", Box::new(|i, _| jpeg(&resize(i, 0.5), 85))),
            ("缩小到 25%", Box::new(|i, _| jpeg(&resize(i, 0.25), 85))),
            ("放大到 150%", Box::new(|i, _| jpeg(&resize(i, 1.5), 85))),
            (
                "存为 PNG",
                Box::new(|i, _| {
                    let mut out = Vec::new();
                    image::DynamicImage::ImageRgb8(i.clone())
                        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                        .unwrap();
                    out
                }),
            ),
        ];
        let edits: Vec<(&str, Edit)> = vec![
            ("四边各裁 2%", Box::new(|i| crop(i, 0.02))),
            ("四边各裁 5%", Box::new(|i| crop(i, 0.05))),
            ("四边各裁 10%", Box::new(|i| crop(i, 0.10))),
        ];
        let reshoots: Vec<(&str, (f32, f32, f32), i32)> = vec![
            ("同一场景重拍:平移 3%", (0.03, 0.0, 1.0), 0),
            ("同一场景重拍:平移 6%、亮度 +10", (0.06, 0.02, 1.0), 10),
            ("同一场景重拍:走近 10%", (0.0, 0.0, 1.1), -5),
        ];
        let mut copy_tallies: Vec<Tally> = copies.iter().map(|_| Tally::default()).collect();
        let mut edit_tallies: Vec<Tally> = edits.iter().map(|_| Tally::default()).collect();
        let mut reshoot_tallies: Vec<Tally> = reshoots.iter().map(|_| Tally::default()).collect();
        let mut others = Tally::default();
        let mut originals = Vec::new();
        for seed in 0..scenes {
            let s = scene(seed);
            let photo = shoot(&s, size, (0.0, 0.0, 1.0), 0, seed + 1000);
            let bytes = jpeg(&photo, 85);
            let original = uploaded(&bytes);
            for ((_, make), tally) in copies.iter().zip(&mut copy_tallies) {
                tally.add(original, uploaded(&make(&photo, &bytes)));
            }
            for ((_, edit), tally) in edits.iter().zip(&mut edit_tallies) {
                tally.add(original, uploaded(&jpeg(&edit(&photo), 85)));
            }
            for ((_, camera, light), tally) in reshoots.iter().zip(&mut reshoot_tallies) {
                let again = shoot(&s, size, *camera, *light, seed + 5000);
                tally.add(original, uploaded(&jpeg(&again, 85)));
            }
            originals.push(original);
        }
        for (i, a) in originals.iter().enumerate() {
            for b in &originals[i + 1..] {
                others.add(*a, *b);
            }
        }
        let line = |name: &str, t: &Tally| {
            format!(
                "| {name} | {} | {} | {} | {}–{} |",
                t.pairs, t.matched, t.found, t.min, t.max
            )
        };
        let mut report = vec![format!(
            "阈值 {NEAR_DUPLICATE_MAX_DISTANCE}\n| 变换 | 对数 | 判为重复 | 且共享一段 | 距离 |\n|---|---|---|---|---|"
        )];
        for ((name, _), t) in copies.iter().zip(&copy_tallies) {
            report.push(line(name, t));
        }
        for ((name, _), t) in edits.iter().zip(&edit_tallies) {
            report.push(line(name, t));
        }
        for ((name, _, _), t) in reshoots.iter().zip(&reshoot_tallies) {
            report.push(line(name, t));
        }
        report.push(line("不同场景", &others));
        println!("{}", report.join("\n"));
        for t in &copy_tallies {
            assert_eq!(t.matched, t.pairs, "{}", report.join("\n"));
        }
        assert_eq!(others.matched, 0, "{}", report.join("\n"));
    }
}
