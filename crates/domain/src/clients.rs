//! The person registry: one record of each client, shared by every service.

use crate::error::{FieldError, Result, Validator};
use crate::ids::{ClientId, ConsentId, HouseholdId, OrgId, UnitId, UserId};
use crate::locale::Locale;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! code_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }

        // Written out rather than derived: the derive cannot read a `rename` that arrives
        // through this macro, and would publish the variant names instead of the codes.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let doc: &[&str] = &[$($doc),*];
                let doc = doc.iter().map(|l| l.trim()).collect::<Vec<_>>().join("\n");
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description((!doc.is_empty()).then_some(doc))
                    .enum_values(Some([$($code),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use code_enum;

code_enum!(Sex { Female = "female", Male = "male", Other = "other", Unknown = "unknown" });

code_enum!(
    /// Age bands for people whose exact birth date is not known.
    AgeBand {
        A0_5 = "0-5", A6_11 = "6-11", A12_17 = "12-17", A18_24 = "18-24", A25_34 = "25-34", A35_44 = "35-44",
        A45_54 = "45-54", A55_59 = "55-59", A60_64 = "60-64", A65_69 = "65-69", A70_74 = "70-74", A75_79 = "75-79",
        A80Plus = "80+",
    }
);

code_enum!(
    /// The language a person prefers to be served in (interpretation is arranged by it).
    PreferredLanguage {
        Cantonese = "cantonese", Putonghua = "putonghua", English = "english", Urdu = "urdu", Nepali = "nepali",
        Hindi = "hindi", Tagalog = "tagalog", BahasaIndonesia = "bahasa_indonesia", Other = "other",
    }
);

code_enum!(IdDocType { Hkid = "hkid", MainlandId = "mainland_id", Passport = "passport", Other = "other" });

code_enum!(ClientStatus { Active = "active", Closed = "closed", Merged = "merged", Anonymised = "anonymised" });

code_enum!(
    /// How a household member is related to the head of the household.
    Relationship {
        Head = "head", Spouse = "spouse", Child = "child", Parent = "parent", Sibling = "sibling",
        Grandparent = "grandparent", Grandchild = "grandchild", OtherRelative = "other_relative", Other = "other",
    }
);

/// A vulnerability category of the agency's list (configurable per agency).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub code: String,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
    /// Offence history, mental health and the like: visible only with the sensitive-data grant.
    pub sensitive: bool,
    pub active: bool,
}

impl Category {
    pub fn name(&self, l: Locale) -> &str {
        l.pick(&self.name_en, &self.name_zh_hant, &self.name_zh_hans)
    }
}

/// The categories a new agency starts with.
pub fn default_categories() -> Vec<Category> {
    let c = |code: &str, en: &str, hant: &str, hans: &str, sensitive: bool| Category {
        code: code.into(),
        name_en: en.into(),
        name_zh_hant: hant.into(),
        name_zh_hans: hans.into(),
        sensitive,
        active: true,
    };
    vec![
        c("elderly_alone", "Elderly living alone", "獨居長者", "独居老人", false),
        c("disabled", "Person with disability", "殘疾人士", "残疾人", false),
        c("low_income", "Low-income", "低收入 / 綜援", "低保低收", false),
        c("child_in_difficulty", "Child in difficulty", "困境兒童", "困境儿童", false),
        c("ethnic_minority", "Ethnic minority", "少數族裔", "少数族裔（按语言及国籍）", false),
        c("ex_offender", "Ex-offender", "更生人士", "刑满释放人员 / 社区矫正对象", true),
        c("mental_health_recovery", "Person in mental-health recovery", "精神復元人士", "精神障碍康复者", true),
        c("carer", "Carer", "照顧者", "照顾者", false),
    ]
}

/// A client as stored (identity number masked or not, as the caller may see it).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Client {
    pub id: ClientId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    pub name_zh: String,
    pub name_en: String,
    pub sex: Sex,
    pub date_of_birth: Option<NaiveDate>,
    pub age_band: Option<AgeBand>,
    /// Digits only, with a leading `+` and country code for numbers outside HK and the mainland.
    pub phones: Vec<String>,
    pub id_doc_type: Option<IdDocType>,
    /// The full number only for callers holding the identity-number grant; otherwise `****1234`.
    pub id_doc_number: Option<String>,
    pub district: String,
    /// 街道 (street / sub-district).
    pub street: String,
    /// 社區 / 社区 (community / neighbourhood committee).
    pub community: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub preferred_language: PreferredLanguage,
    /// Ethnicity or nationality as the person describes it.
    pub ethnicity: String,
    /// Category codes; sensitive ones are left out for callers without the grant.
    pub categories: Vec<String>,
    pub status: ClientStatus,
    pub closed_on: Option<NaiveDate>,
    pub merged_into: Option<ClientId>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Client {
    /// The name to show: Chinese and English together when both are known.
    pub fn display_name(&self) -> String {
        display_name(&self.name_zh, &self.name_en)
    }

    /// Age in whole years on `on`, from the birth date when known.
    pub fn age_on(&self, on: NaiveDate) -> Option<u32> {
        self.date_of_birth.and_then(|d| on.years_since(d))
    }
}

/// A client as submitted by a form, the API or an import row, before validation.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    /// The service unit that registers the person (their record is visible to its staff).
    pub unit_id: Option<UnitId>,
    #[serde(default)]
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub sex: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub date_of_birth: String,
    #[serde(default)]
    pub age_band: String,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub id_doc_type: String,
    #[serde(default)]
    pub id_doc_number: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub community: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub latitude: String,
    #[serde(default)]
    pub longitude: String,
    #[serde(default)]
    pub preferred_language: String,
    #[serde(default)]
    pub ethnicity: String,
    #[serde(default)]
    pub categories: Vec<String>,
}

/// A validated client, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientFields {
    pub unit_id: UnitId,
    pub name_zh: String,
    pub name_en: String,
    pub sex: Sex,
    pub date_of_birth: Option<NaiveDate>,
    pub age_band: Option<AgeBand>,
    pub phones: Vec<String>,
    pub id_doc: Option<(IdDocType, String)>,
    pub district: String,
    pub street: String,
    pub community: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub preferred_language: PreferredLanguage,
    pub ethnicity: String,
    pub categories: Vec<String>,
}

impl ClientFields {
    /// Key for duplicate checks and import re-runs: the identity document, normalised.
    pub fn id_key(&self) -> Option<String> {
        self.id_doc.as_ref().map(|(t, n)| id_key(*t, n))
    }

    pub fn name_fold(&self) -> String {
        fold_name(&format!("{} {}", self.name_zh, self.name_en))
    }
}

pub fn id_key(t: IdDocType, number: &str) -> String {
    format!("{}:{}", t.as_str(), number.to_uppercase())
}

/// The last four letters or digits of an identity number, for look-up and masked display
/// (`A123456(3)` → `4563`).
pub fn id_last4(number: &str) -> String {
    let chars: Vec<char> = number.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// Checks an identity document (type and number): HKID and mainland ID numbers are verified.
pub fn parse_id_doc(v: &mut Validator, id_doc_type: &str, id_doc_number: &str) -> Option<(IdDocType, String)> {
    match (id_doc_type.trim(), id_doc_number.trim()) {
        ("", "") => None,
        ("", _) => {
            v.push(FieldError::new("id_doc_type", "required"));
            None
        }
        (t, n) => match IdDocType::parse(t) {
            None => {
                v.push(FieldError::new("id_doc_type", "unknown-choice"));
                None
            }
            Some(_) if n.is_empty() => {
                v.push(FieldError::new("id_doc_number", "required"));
                None
            }
            Some(IdDocType::Hkid) => match valid_hkid(n) {
                Some(n) => Some((IdDocType::Hkid, n)),
                None => {
                    v.push(FieldError::new("id_doc_number", "hkid"));
                    None
                }
            },
            Some(IdDocType::MainlandId) => match valid_mainland_id(n) {
                Some(n) => Some((IdDocType::MainlandId, n)),
                None => {
                    v.push(FieldError::new("id_doc_number", "mainland-id"));
                    None
                }
            },
            Some(t) => {
                let n: String = n.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
                if n.len() < 4 || n.len() > 30 {
                    v.push(FieldError::new("id_doc_number", "length").with("min", 4).with("max", 30));
                    None
                } else {
                    Some((t, n))
                }
            }
        },
    }
}

/// Chinese and English names together when both are known.
pub fn display_name(zh: &str, en: &str) -> String {
    match (zh.is_empty(), en.is_empty()) {
        (false, false) => format!("{zh} {en}"),
        (false, true) => zh.to_string(),
        _ => en.to_string(),
    }
}

pub fn mask_id(number: &str) -> String {
    format!("****{}", id_last4(number))
}

/// Traditional → Simplified, lower case, single spaces: 陳大文 and 陈大文 fold alike.
pub fn fold_name(s: &str) -> String {
    let simplified = fast2s::convert(s);
    simplified.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Normalises a phone number: HK 8-digit and mainland 11-digit numbers lose their country code;
/// others keep `+` and country code. Returns None when it is not a plausible number.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let plus = raw.trim_start().starts_with('+') || raw.trim_start().starts_with("00");
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = if raw.trim_start().starts_with("00") { digits.trim_start_matches("00").to_string() } else { digits };
    // Hong Kong: 8 digits starting 2–3 or 5–9; mainland mobiles: 11 digits starting 1.
    let local = |d: &str| {
        let hk = d.len() == 8 && matches!(d.as_bytes()[0], b'2' | b'3' | b'5' | b'6' | b'7' | b'8' | b'9');
        let mainland = d.len() == 11 && d.starts_with('1');
        (hk || mainland).then(|| d.to_string())
    };
    if plus {
        if let Some(rest) = digits.strip_prefix("852") {
            return local(rest).filter(|d| d.len() == 8);
        }
        if let Some(rest) = digits.strip_prefix("86") {
            if let Some(l) = local(rest).filter(|d| d.len() == 11) {
                return Some(l);
            }
        }
        return (7..=15).contains(&digits.len()).then(|| format!("+{digits}"));
    }
    local(&digits)
}

/// Hong Kong identity card: one or two letters, six digits, a check digit (0–9 or A).
pub fn valid_hkid(raw: &str) -> Option<String> {
    let s: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
    let (body, check) = s.split_at(s.len().checked_sub(1)?);
    let letters: String = body.chars().take_while(|c| c.is_ascii_uppercase()).collect();
    let digits = &body[letters.len()..];
    if !(1..=2).contains(&letters.len()) || digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let value = |c: char| c as u32 - 'A' as u32 + 10;
    let mut sum = if letters.len() == 2 { 0 } else { 36 * 9 };
    let mut weight = 9;
    if letters.len() == 2 {
        for c in letters.chars() {
            sum += value(c) * weight;
            weight -= 1;
        }
    } else {
        weight = 8;
        sum += value(letters.chars().next()?) * weight;
        weight -= 1;
    }
    for c in digits.chars() {
        sum += c.to_digit(10)? * weight;
        weight -= 1;
    }
    let expected = (11 - sum % 11) % 11;
    let expected = if expected == 10 { 'A' } else { char::from_digit(expected, 10)? };
    (check.chars().next()? == expected).then(|| format!("{letters}{digits}({check})"))
}

/// Mainland resident identity card: 17 digits and a check character (0–9 or X), ISO 7064.
pub fn valid_mainland_id(raw: &str) -> Option<String> {
    let s: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
    if s.len() != 18 || !s[..17].chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = s[..17].chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    s.ends_with(check).then_some(s)
}

fn parse_date(v: &mut Validator, field: &str, raw: &str, today: NaiveDate) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) if d <= today && d.years_since(today).is_none() && today.years_since(d).is_some_and(|y| y <= 125) => Some(d),
        Ok(_) => {
            v.push(FieldError::new(field, "date-range"));
            None
        }
        Err(_) => {
            v.push(FieldError::new(field, "date"));
            None
        }
    }
}

impl ClientInput {
    /// Validates against today's date and the agency's category list.
    pub fn validate(&self, today: NaiveDate, categories: &[Category]) -> Result<ClientFields> {
        let mut v = Validator::new();
        let unit_id = self.unit_id;
        if unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let name_zh = v.text("name_zh", &self.name_zh, false, 100);
        let name_en = v.text("name_en", &self.name_en, false, 200);
        if name_zh.is_empty() && name_en.is_empty() {
            v.push(FieldError::new("name_zh", "name-required"));
        }
        let sex = match self.sex.trim() {
            "" => Sex::Unknown,
            s => Sex::parse(s).unwrap_or_else(|| {
                v.push(FieldError::new("sex", "unknown-choice"));
                Sex::Unknown
            }),
        };
        let date_of_birth = parse_date(&mut v, "date_of_birth", &self.date_of_birth, today);
        let age_band = match self.age_band.trim() {
            "" => None,
            s => {
                let b = AgeBand::parse(s);
                if b.is_none() {
                    v.push(FieldError::new("age_band", "unknown-choice"));
                }
                b
            }
        };
        let mut phones: Vec<String> = Vec::new();
        for (i, p) in self.phones.iter().filter(|p| !p.trim().is_empty()).enumerate() {
            match normalise_phone(p) {
                Some(n) if !phones.contains(&n) => phones.push(n),
                Some(_) => {}
                None => v.push(FieldError::new("phones", "phone").with("value", p.trim()).with("n", i + 1)),
            }
        }
        if phones.len() > 5 {
            v.push(FieldError::new("phones", "too-many").with("max", 5));
        }
        let id_doc = parse_id_doc(&mut v, &self.id_doc_type, &self.id_doc_number);
        let district = v.text("district", &self.district, false, 100);
        let street = v.text("street", &self.street, false, 100);
        let community = v.text("community", &self.community, false, 100);
        let address = v.text("address", &self.address, false, 500);
        let latitude = v.coordinate("latitude", &self.latitude, 90.0);
        let longitude = v.coordinate("longitude", &self.longitude, 180.0);
        if latitude.is_some() != longitude.is_some() {
            v.push(FieldError::new("longitude", "coordinates-pair"));
        }
        let preferred_language = match self.preferred_language.trim() {
            "" => PreferredLanguage::Cantonese,
            s => PreferredLanguage::parse(s).unwrap_or_else(|| {
                v.push(FieldError::new("preferred_language", "unknown-choice"));
                PreferredLanguage::Other
            }),
        };
        let ethnicity = v.text("ethnicity", &self.ethnicity, false, 100);
        let mut cats: Vec<String> = Vec::new();
        for c in self.categories.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            if !categories.iter().any(|k| k.code == c && k.active) {
                v.push(FieldError::new("categories", "unknown-choice").with("value", c));
            } else if !cats.iter().any(|x| x == c) {
                cats.push(c.to_string());
            }
        }
        v.finish()?;
        Ok(ClientFields {
            unit_id: unit_id.unwrap_or_default(),
            name_zh,
            name_en,
            sex,
            date_of_birth,
            age_band,
            phones,
            id_doc,
            district,
            street,
            community,
            address,
            latitude,
            longitude,
            preferred_language,
            ethnicity,
            categories: cats,
        })
    }
}

impl From<&Client> for ClientInput {
    fn from(c: &Client) -> Self {
        Self {
            unit_id: Some(c.unit_id),
            name_zh: c.name_zh.clone(),
            name_en: c.name_en.clone(),
            sex: c.sex.as_str().into(),
            date_of_birth: c.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
            age_band: c.age_band.map(|b| b.as_str().to_string()).unwrap_or_default(),
            phones: c.phones.clone(),
            id_doc_type: c.id_doc_type.map(|t| t.as_str().to_string()).unwrap_or_default(),
            id_doc_number: c.id_doc_number.clone().unwrap_or_default(),
            district: c.district.clone(),
            street: c.street.clone(),
            community: c.community.clone(),
            address: c.address.clone(),
            latitude: c.latitude.map(|x| x.to_string()).unwrap_or_default(),
            longitude: c.longitude.map(|x| x.to_string()).unwrap_or_default(),
            preferred_language: c.preferred_language.as_str().into(),
            ethnicity: c.ethnicity.clone(),
            categories: c.categories.clone(),
        }
    }
}

/// Why two records may be the same person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    SamePhone,
    SameIdDocument,
    SimilarNameSameBirthDate,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DuplicateMatch {
    pub client: Client,
    pub reasons: Vec<DuplicateReason>,
}

/// Two names are similar when they fold alike or differ by one character.
pub fn similar_names(a: &str, b: &str) -> bool {
    let (a, b) = (fold_name(a), fold_name(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    // Edit distance of at most one.
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        match a.len().cmp(&b.len()) {
            std::cmp::Ordering::Greater => i += 1,
            std::cmp::Ordering::Less => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    edits + (a.len() - i) + (b.len() - j) <= 1
}

/// A consent given (or withdrawn) by a client: PDPO DPP1 and PIPL separate consent.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Consent {
    pub id: ConsentId,
    pub client_id: ClientId,
    pub purpose: ConsentPurpose,
    /// The version of the collection notice the person was given.
    pub notice_version: String,
    pub given_on: NaiveDate,
    /// `self` or `guardian` (for children and people who cannot consent themselves).
    pub given_by: String,
    pub guardian_name: String,
    pub recorded_by: Option<UserId>,
    pub recorded_by_name: String,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawn_by_name: String,
    pub created_at: DateTime<Utc>,
}

code_enum!(
    /// What a consent covers.
    ConsentPurpose {
        Service = "service", SensitiveData = "sensitive_data", Sharing = "sharing", Research = "research", Photos = "photos",
    }
);

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    pub purpose: String,
    #[serde(default)]
    pub notice_version: String,
    /// `YYYY-MM-DD`; today when empty.
    #[serde(default)]
    pub given_on: String,
    /// `self` or `guardian`.
    #[serde(default)]
    pub given_by: String,
    #[serde(default)]
    pub guardian_name: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsentFields {
    pub purpose: ConsentPurpose,
    pub notice_version: String,
    pub given_on: NaiveDate,
    pub given_by: String,
    pub guardian_name: String,
}

impl ConsentInput {
    pub fn validate(&self, today: NaiveDate) -> Result<ConsentFields> {
        let mut v = Validator::new();
        let purpose = ConsentPurpose::parse(self.purpose.trim());
        if purpose.is_none() {
            v.push(FieldError::new("purpose", "unknown-choice"));
        }
        let notice_version = v.text("notice_version", &self.notice_version, true, 50);
        let given_on = if self.given_on.trim().is_empty() { Some(today) } else { parse_date(&mut v, "given_on", &self.given_on, today) };
        let given_by = match self.given_by.trim() {
            "" | "self" => "self",
            "guardian" => "guardian",
            _ => {
                v.push(FieldError::new("given_by", "unknown-choice"));
                "self"
            }
        };
        let guardian_name = v.text("guardian_name", &self.guardian_name, given_by == "guardian", 100);
        v.finish()?;
        Ok(ConsentFields {
            purpose: purpose.unwrap_or(ConsentPurpose::Service),
            notice_version,
            given_on: given_on.unwrap_or(today),
            given_by: given_by.into(),
            guardian_name,
        })
    }
}

/// Under PIPL, personal information of a child under 14 needs a guardian's consent.
pub fn needs_guardian(date_of_birth: Option<NaiveDate>, on: NaiveDate) -> bool {
    date_of_birth.and_then(|d| on.years_since(d)).is_some_and(|age| age < 14)
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Household {
    pub id: HouseholdId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    pub name: String,
    pub address: String,
    pub members: Vec<HouseholdMember>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl Household {
    /// People currently living in the household (used by assistance and donation reports).
    pub fn size(&self) -> usize {
        self.members.len()
    }

    pub fn head(&self) -> Option<&HouseholdMember> {
        self.members.iter().find(|m| m.relationship == Relationship::Head)
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdMember {
    pub client_id: ClientId,
    pub name: String,
    pub relationship: Relationship,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdInput {
    pub unit_id: Option<UnitId>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    /// Members and their relationship to the head; exactly one `head`.
    #[serde(default)]
    pub members: Vec<MemberInput>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub client_id: ClientId,
    pub relationship: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdFields {
    pub unit_id: UnitId,
    pub name: String,
    pub address: String,
    pub members: Vec<(ClientId, Relationship)>,
}

impl HouseholdInput {
    pub fn validate(&self) -> Result<HouseholdFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let name = v.text("name", &self.name, false, 200);
        let address = v.text("address", &self.address, false, 500);
        let mut members: Vec<(ClientId, Relationship)> = Vec::new();
        for m in &self.members {
            match Relationship::parse(m.relationship.trim()) {
                Some(r) if !members.iter().any(|(c, _)| *c == m.client_id) => members.push((m.client_id, r)),
                Some(_) => v.push(FieldError::new("members", "duplicate")),
                None => v.push(FieldError::new("members", "unknown-choice")),
            }
        }
        if members.is_empty() {
            v.push(FieldError::new("members", "required"));
        } else if members.iter().filter(|(_, r)| *r == Relationship::Head).count() != 1 {
            v.push(FieldError::new("members", "one-head"));
        }
        v.finish()?;
        Ok(HouseholdFields { unit_id: self.unit_id.unwrap_or_default(), name, address, members })
    }
}

/// Filters for the client list and exports.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct ClientFilter {
    /// Name (Traditional or Simplified, Chinese or English), phone fragment (4+ digits) or the
    /// last 4 characters of an identity number.
    pub q: String,
    pub unit_id: Option<UnitId>,
    pub category: String,
    pub district: String,
    /// `active` (default), `closed` or `all`.
    pub status: String,
}

impl ClientFilter {
    /// Whether a client passes the filter's status, unit, district and category (the text
    /// query is answered by the search index, not here).
    pub fn matches(&self, c: &Client) -> bool {
        let status_ok = match self.status.as_str() {
            "closed" => c.status == ClientStatus::Closed,
            "all" => c.status != ClientStatus::Merged,
            _ => c.status == ClientStatus::Active,
        };
        status_ok
            && self.unit_id.is_none_or(|u| c.unit_id == u)
            && (self.district.is_empty() || c.district == self.district)
            && (self.category.is_empty() || c.categories.contains(&self.category))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    #[test]
    fn hkid_check_digits() {
        // Made-up numbers with valid check digits.
        assert_eq!(valid_hkid("A123456(3)").as_deref(), Some("A123456(3)"));
        assert_eq!(valid_hkid("a1234563").as_deref(), Some("A123456(3)"));
        assert_eq!(valid_hkid("A123456(4)"), None);
        assert_eq!(valid_hkid("AB987654(3)").as_deref(), Some("AB987654(3)"));
        assert_eq!(valid_hkid("123456(7)"), None);
    }

    #[test]
    fn mainland_id_check_character() {
        assert_eq!(valid_mainland_id("11010519491231002X").as_deref(), Some("11010519491231002X"));
        assert_eq!(valid_mainland_id("110105194912310021"), None);
        assert_eq!(valid_mainland_id("1101051949123100"), None);
    }

    #[test]
    fn phones_normalise() {
        assert_eq!(normalise_phone("9123 4567").as_deref(), Some("91234567"));
        assert_eq!(normalise_phone("+852 9123-4567").as_deref(), Some("91234567"));
        assert_eq!(normalise_phone("+86 138 0013 8000").as_deref(), Some("13800138000"));
        assert_eq!(normalise_phone("13800138000").as_deref(), Some("13800138000"));
        assert_eq!(normalise_phone("+977 1 4412345").as_deref(), Some("+97714412345"));
        assert_eq!(normalise_phone("1234"), None);
        assert_eq!(normalise_phone("0123 4567"), None);
    }

    #[test]
    fn names_fold_across_scripts_and_case() {
        assert_eq!(fold_name("陳大文"), fold_name("陈大文"));
        assert_eq!(fold_name("CHAN  Tai Man"), "chan tai man");
        assert!(similar_names("陳大文", "陈大民"));
        assert!(similar_names("Chan Tai Man", "Chan Tai Mann"));
        assert!(!similar_names("陳大文", "李小明"));
        assert!(!similar_names("", ""));
    }

    fn input() -> ClientInput {
        ClientInput {
            unit_id: Some(UnitId::new()),
            name_zh: "陳大文".into(),
            name_en: "Chan Tai Man".into(),
            sex: "male".into(),
            date_of_birth: "1948-05-01".into(),
            phones: vec!["9123 4567".into(), "91234567".into()],
            id_doc_type: "hkid".into(),
            id_doc_number: "A1234563".into(),
            categories: vec!["elderly_alone".into()],
            ..Default::default()
        }
    }

    #[test]
    fn valid_client_is_normalised() {
        let f = input().validate(today(), &default_categories()).expect("valid");
        assert_eq!(f.phones, vec!["91234567".to_string()], "duplicates collapse");
        assert_eq!(f.id_doc, Some((IdDocType::Hkid, "A123456(3)".into())));
        assert_eq!(f.id_key().as_deref(), Some("hkid:A123456(3)"));
        assert_eq!(id_last4("A123456(3)"), "4563");
        assert_eq!(mask_id("A123456(3)"), "****4563");
    }

    #[test]
    fn every_problem_is_reported() {
        let mut i = input();
        i.name_zh.clear();
        i.name_en.clear();
        i.date_of_birth = "2030-01-01".into();
        i.phones = vec!["12".into()];
        i.id_doc_number = "A1234564".into();
        i.categories = vec!["astronaut".into()];
        let Err(crate::DomainError::Invalid(errs)) = i.validate(today(), &default_categories()) else { unreachable!("invalid") };
        let codes: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            [
                ("name_zh", "name-required"),
                ("date_of_birth", "date-range"),
                ("phones", "phone"),
                ("id_doc_number", "hkid"),
                ("categories", "unknown-choice")
            ]
        );
    }

    #[test]
    fn children_under_14_need_a_guardian() {
        assert!(needs_guardian(NaiveDate::from_ymd_opt(2015, 1, 1), today()));
        assert!(!needs_guardian(NaiveDate::from_ymd_opt(2010, 1, 1), today()));
        assert!(!needs_guardian(None, today()));
    }

    #[test]
    fn a_household_has_exactly_one_head() {
        let (a, b) = (ClientId::new(), ClientId::new());
        let mut h = HouseholdInput {
            unit_id: Some(UnitId::new()),
            members: vec![
                MemberInput { client_id: a, relationship: "head".into() },
                MemberInput { client_id: b, relationship: "spouse".into() },
            ],
            ..Default::default()
        };
        assert!(h.validate().is_ok());
        h.members[1].relationship = "head".into();
        assert!(h.validate().is_err());
    }
}
