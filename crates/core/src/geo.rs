//! Positions on the ground: an enterprise's site (经度/纬度) and the GPS position a photo carries,
//! and the distance between them.

use serde::Serialize;

/// A WGS-84 position in degrees, as phones write it into EXIF.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoPoint {
    /// 纬度
    pub lat: f64,
    /// 经度
    pub lng: f64,
}

/// Mean Earth radius (IUGG), in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Longitude and latitude a site in mainland China, Hong Kong, Macao or Taiwan can have; a
/// value outside is a typo (swapped fields, a missing decimal point), not a place we serve.
const CHINA_LNG: std::ops::RangeInclusive<f64> = 73.0..=136.0;
const CHINA_LAT: std::ops::RangeInclusive<f64> = 3.0..=54.0;

impl GeoPoint {
    /// Great-circle distance in metres (haversine): within a few metres of the ellipsoid's at the
    /// distances an on-site check compares, which is far below a phone's GPS error.
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lng - self.lng).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }

    /// `118.675694, 24.874222` as shown next to a site or a photo (longitude first, as the
    /// enterprise form asks for it).
    pub fn label(self) -> String {
        format!("经度 {:.6},纬度 {:.6}", self.lng, self.lat)
    }
}

/// Parses the enterprise form's 经度 and 纬度: both empty is no position; one without the other,
/// a value that is not a number or one outside China is a field error.
pub fn parse_site(lng: &str, lat: &str) -> Result<Option<GeoPoint>, (&'static str, String)> {
    let (lng, lat) = (lng.trim(), lat.trim());
    match (lng.is_empty(), lat.is_empty()) {
        (true, true) => return Ok(None),
        (false, true) => return Err(("latitude", "请同时填写纬度".into())),
        (true, false) => return Err(("longitude", "请同时填写经度".into())),
        (false, false) => {}
    }
    let number = |raw: &str, field: &'static str, label: &str| {
        raw.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| (field, format!("{label}应为数字(度),如 118.675694")))
    };
    let lng_v = number(lng, "longitude", "经度")?;
    let lat_v = number(lat, "latitude", "纬度")?;
    if !CHINA_LNG.contains(&lng_v) {
        return Err(("longitude", "经度应在 73 至 136 之间(东经,单位为度)".into()));
    }
    if !CHINA_LAT.contains(&lat_v) {
        return Err(("latitude", "纬度应在 3 至 54 之间(北纬,单位为度)".into()));
    }
    Ok(Some(GeoPoint {
        lat: lat_v,
        lng: lng_v,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_known_ones() {
        // Two points near Quanzhou, 3.54 km apart north–south and 1.72 km east–west: 3.93 km.
        let a = GeoPoint {
            lat: 24.9149,
            lng: 118.5849,
        };
        let b = GeoPoint {
            lat: 24.9467,
            lng: 118.6019,
        };
        let d = a.distance_m(b);
        assert!((3_900.0..3_960.0).contains(&d), "{d}");
        assert_eq!(a.distance_m(a), 0.0);
        // One thousandth of a degree of latitude is about 111 m anywhere.
        let north = GeoPoint {
            lat: a.lat + 0.001,
            ..a
        };
        assert!((110.0..112.5).contains(&a.distance_m(north)));
    }

    #[test]
    fn the_form_gives_both_or_neither_and_only_places_in_china() {
        assert_eq!(parse_site(" ", ""), Ok(None));
        assert_eq!(
            parse_site("118.675694", "24.874222"),
            Ok(Some(GeoPoint {
                lat: 24.874222,
                lng: 118.675694
            }))
        );
        assert_eq!(parse_site("118.6", "").unwrap_err().0, "latitude");
        assert_eq!(parse_site("", "24.8").unwrap_err().0, "longitude");
        assert_eq!(parse_site("东经118", "24.8").unwrap_err().0, "longitude");
        assert_eq!(parse_site("NaN", "24.8").unwrap_err().0, "longitude");
        // Swapped fields are caught by the ranges.
        assert_eq!(parse_site("24.87", "118.67").unwrap_err().0, "longitude");
        assert_eq!(parse_site("118.67", "-24.87").unwrap_err().0, "latitude");
    }
}
