//! The agency (our tenant) and its service units.

use crate::error::{FieldError, Result, Validator};
use crate::ids::{OrgId, UnitId};
use crate::locale::Locale;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::ToSchema;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Agency {
    pub id: OrgId,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
    /// IANA time zone; service dates are local dates in it.
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl Agency {
    pub fn name(&self, l: Locale) -> &str {
        l.pick(&self.name_en, &self.name_zh_hant, &self.name_zh_hans)
    }
}

/// What kind of service point a unit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitType {
    FamilyCentre,
    SocialWorkStation,
    HotlinePoint,
    ElderlyCentre,
    YouthCentre,
    RehabilitationCentre,
    ToyLibrary,
    Other,
}

impl UnitType {
    pub const ALL: [UnitType; 8] = [
        UnitType::FamilyCentre,
        UnitType::SocialWorkStation,
        UnitType::HotlinePoint,
        UnitType::ElderlyCentre,
        UnitType::YouthCentre,
        UnitType::RehabilitationCentre,
        UnitType::ToyLibrary,
        UnitType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitType::FamilyCentre => "family_centre",
            UnitType::SocialWorkStation => "social_work_station",
            UnitType::HotlinePoint => "hotline_point",
            UnitType::ElderlyCentre => "elderly_centre",
            UnitType::YouthCentre => "youth_centre",
            UnitType::RehabilitationCentre => "rehabilitation_centre",
            UnitType::ToyLibrary => "toy_library",
            UnitType::Other => "other",
        }
    }
}

impl std::fmt::Display for UnitType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UnitType {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        UnitType::ALL.into_iter().find(|t| t.as_str() == s).ok_or(())
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ServiceUnit {
    pub id: UnitId,
    pub org_id: OrgId,
    pub code: String,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
    pub unit_type: UnitType,
    pub district: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub opening_hours: String,
    pub active: bool,
    /// Optimistic-concurrency version; send it back unchanged when editing.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ServiceUnit {
    pub fn name(&self, l: Locale) -> &str {
        l.pick(&self.name_en, &self.name_zh_hant, &self.name_zh_hans)
    }
}

/// A service unit as submitted by a form or the API, before validation.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    pub code: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub name_zh_hant: String,
    #[serde(default)]
    pub name_zh_hans: String,
    pub unit_type: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub address: String,
    /// Decimal degrees, e.g. `22.2783`; empty for none.
    #[serde(default)]
    pub latitude: Option<String>,
    #[serde(default)]
    pub longitude: Option<String>,
    #[serde(default)]
    pub opening_hours: String,
    #[serde(default = "default_true")]
    pub active: bool,
}

fn default_true() -> bool {
    true
}

/// A validated service unit, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitFields {
    pub code: String,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
    pub unit_type: UnitType,
    pub district: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub opening_hours: String,
    pub active: bool,
}

impl UnitInput {
    pub fn validate(&self) -> Result<UnitFields> {
        let mut v = Validator::new();
        let code = v.text("code", &self.code, true, 32);
        if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            v.push(FieldError::new("code", "code-chars"));
        }
        let name_en = v.text("name_en", &self.name_en, false, 200);
        let name_zh_hant = v.text("name_zh_hant", &self.name_zh_hant, false, 200);
        let name_zh_hans = v.text("name_zh_hans", &self.name_zh_hans, false, 200);
        if name_en.is_empty() && name_zh_hant.is_empty() && name_zh_hans.is_empty() {
            v.push(FieldError::new("name_zh_hant", "name-required"));
        }
        let unit_type = match self.unit_type.parse::<UnitType>() {
            Ok(t) => Some(t),
            Err(()) => {
                v.push(FieldError::new("unit_type", "unknown-choice"));
                None
            }
        };
        let district = v.text("district", &self.district, false, 100);
        let address = v.text("address", &self.address, false, 500);
        let latitude = v.coordinate("latitude", self.latitude.as_deref().unwrap_or(""), 90.0);
        let longitude = v.coordinate("longitude", self.longitude.as_deref().unwrap_or(""), 180.0);
        if latitude.is_some() != longitude.is_some() {
            v.push(FieldError::new("longitude", "coordinates-pair"));
        }
        let opening_hours = v.text("opening_hours", &self.opening_hours, false, 500);
        v.finish()?;
        Ok(UnitFields {
            code,
            name_en,
            name_zh_hant,
            name_zh_hans,
            unit_type: unit_type.unwrap_or(UnitType::Other),
            district,
            address,
            latitude,
            longitude,
            opening_hours,
            active: self.active,
        })
    }
}

impl From<&ServiceUnit> for UnitInput {
    fn from(u: &ServiceUnit) -> Self {
        Self {
            code: u.code.clone(),
            name_en: u.name_en.clone(),
            name_zh_hant: u.name_zh_hant.clone(),
            name_zh_hans: u.name_zh_hans.clone(),
            unit_type: u.unit_type.as_str().to_string(),
            district: u.district.clone(),
            address: u.address.clone(),
            latitude: u.latitude.map(|x| x.to_string()),
            longitude: u.longitude.map(|x| x.to_string()),
            opening_hours: u.opening_hours.clone(),
            active: u.active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainError;

    fn input() -> UnitInput {
        UnitInput {
            code: "WC-IFSC".into(),
            name_zh_hant: "灣仔綜合家庭服務中心".into(),
            unit_type: "family_centre".into(),
            latitude: Some("22.2783".into()),
            longitude: Some("114.1747".into()),
            active: true,
            ..Default::default()
        }
    }

    #[test]
    fn valid_unit_passes() {
        let f = input().validate().expect("valid");
        assert_eq!(f.unit_type, UnitType::FamilyCentre);
        assert_eq!(f.latitude, Some(22.2783));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut i = input();
        i.code = "has space".into();
        i.name_zh_hant.clear();
        i.unit_type = "castle".into();
        i.latitude = Some("91".into());
        let Err(DomainError::Invalid(errs)) = i.validate() else { unreachable!("input is invalid") };
        let codes: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert!(codes.contains(&("code", "code-chars")));
        assert!(codes.contains(&("name_zh_hant", "name-required")));
        assert!(codes.contains(&("unit_type", "unknown-choice")));
        assert!(codes.contains(&("latitude", "out-of-range")));
    }

    #[test]
    fn half_a_coordinate_is_refused() {
        let mut i = input();
        i.longitude = None;
        assert!(matches!(i.validate(), Err(DomainError::Invalid(_))));
    }
}
