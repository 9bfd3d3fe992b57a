//! Signed sign-up links for volunteers without a login: HMAC-SHA256 (the agency's own secret key)
//! over the agency, volunteer and duty ids and an expiry. A link names exactly one volunteer
//! and one duty, cannot be guessed or altered, and stops working when it expires (two weeks, or
//! when the duty ends, whichever comes first).

use super::{put_on, served, ServedPerson};
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use shegong_domain::accounts::{Actor, Permission, Scope};
use shegong_domain::ids::{DutyId, OrgId, VolunteerId};
use shegong_domain::volunteers::{Assignment, Duty, LinkClaim, SignUpVia, LINK_DAYS};
use shegong_domain::DomainError;

type HmacSha256 = Hmac<Sha256>;

async fn key(state: &AppState, org: OrgId) -> AppResult<Vec<u8>> {
    let mut fresh = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    Ok(state.store.volunteer_link_key(org, &fresh).await?)
}

fn mac(key: &[u8], payload: &[u8]) -> AppResult<HmacSha256> {
    let mut m = HmacSha256::new_from_slice(key).map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    m.update(payload);
    Ok(m)
}

/// The token of a link: the claim and its signature, URL-safe base64.
pub fn sign(key: &[u8], claim: &LinkClaim) -> AppResult<String> {
    let payload = claim.payload();
    let tag = mac(key, &payload)?.finalize().into_bytes();
    let mut bytes = payload.to_vec();
    bytes.extend_from_slice(&tag);
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The claim of a token whose signature holds (compared in constant time); None otherwise.
pub fn verify(key: &[u8], token: &str) -> Option<LinkClaim> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    if bytes.len() <= 32 {
        return None;
    }
    let (payload, tag) = bytes.split_at(bytes.len() - 32);
    mac(key, payload).ok()?.verify_slice(tag).ok()?;
    LinkClaim::from_payload(payload)
}

/// A link for one volunteer to sign up for one duty (staff of the duty's unit make it).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SignUpLink {
    /// `/v/<token>`, to send to the volunteer.
    pub path: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

pub async fn make(state: &AppState, ctx: &Ctx, duty: DutyId, volunteer: VolunteerId) -> AppResult<SignUpLink> {
    let org = ctx.user.org_id;
    let d = state.store.get_duty(org, duty).await?;
    ctx.require(Permission::ManageVolunteers, Scope::Unit(d.unit_id))?;
    match state.store.get_volunteer(org, volunteer).await {
        Ok(v) if ctx.can(Permission::ViewVolunteers, Scope::Unit(v.unit_id)) => {}
        Ok(_) | Err(DomainError::NotFound) => return Err(DomainError::invalid("volunteer_id", "unknown-reference").into()),
        Err(e) => return Err(e.into()),
    }
    let expires_at = (state.clock.now() + chrono::Duration::days(LINK_DAYS)).min(d.ends_at);
    let claim = LinkClaim { org_id: org, volunteer_id: volunteer, duty_id: duty, expires: expires_at.timestamp() };
    let token = sign(&key(state, org).await?, &claim)?;
    Ok(SignUpLink { path: format!("/v/{token}"), expires_at })
}

/// What the person opening a link sees.
pub struct LinkView {
    pub claim: LinkClaim,
    pub duty: Duty,
    /// The volunteer's name as it is registered.
    pub volunteer: String,
    pub served: Option<ServedPerson>,
    pub signed_up: bool,
    pub agency: String,
}

/// Reads a token: the org is read from the claim, then the signature is checked with that
/// agency's key. Anything wrong is one answer, "this link is not valid", never which part.
pub async fn open(state: &AppState, token: &str, l: shegong_domain::locale::Locale) -> AppResult<LinkView> {
    let invalid = || DomainError::invalid("link", "vol-link-invalid");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| invalid())?;
    let org = bytes.get(..16).and_then(|b| uuid::Uuid::from_slice(b).ok()).map(OrgId).ok_or_else(invalid)?;
    let agency = match state.store.agency(org).await {
        Ok(a) => a,
        Err(DomainError::NotFound) => return Err(invalid().into()),
        Err(e) => return Err(e.into()),
    };
    let claim = verify(&key(state, org).await?, token).ok_or_else(invalid)?;
    if claim.expires < state.clock.now().timestamp() {
        return Err(DomainError::invalid("link", "vol-link-expired").into());
    }
    let duty = state.store.get_duty(org, claim.duty_id).await.map_err(|_| invalid())?;
    let v = state.store.get_volunteer(org, claim.volunteer_id).await.map_err(|_| invalid())?;
    let signed_up = state
        .store
        .duty_assignments(org, duty.id)
        .await?
        .iter()
        .any(|a| a.volunteer_id == v.id && a.status == shegong_domain::volunteers::AssignmentStatus::Assigned);
    Ok(LinkView {
        served: served(state, org, &duty).await?,
        claim,
        volunteer: v.display_name(),
        signed_up,
        agency: agency.name(l).to_string(),
        duty,
    })
}

/// Signs the link's volunteer up for its duty, with every rule a staff assignment has.
pub async fn accept(state: &AppState, token: &str, l: shegong_domain::locale::Locale) -> AppResult<Assignment> {
    let view = open(state, token, l).await?;
    // No one is signed in: the audit log names the link and its volunteer.
    let actor = Actor { org_id: view.claim.org_id, user_id: None, name: format!("link:{}", view.claim.volunteer_id) };
    put_on(state, &actor, &view.duty, view.claim.volunteer_id, SignUpVia::Link).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_verifies_only_untouched_and_with_its_own_key() {
        let claim = LinkClaim { org_id: OrgId::new(), volunteer_id: VolunteerId::new(), duty_id: DutyId::new(), expires: 2_000_000_000 };
        let Ok(t) = sign(b"key-one", &claim) else { unreachable!("signs") };
        assert_eq!(verify(b"key-one", &t), Some(claim));
        assert_eq!(verify(b"key-two", &t), None, "another agency's key");
        // Any changed character breaks it (here the last of the signature, and one of the ids).
        let mut chars: Vec<char> = t.chars().collect();
        for i in [chars.len() - 1, 20] {
            let was = chars[i];
            chars[i] = if was == 'A' { 'B' } else { 'A' };
            assert_eq!(verify(b"key-one", &chars.iter().collect::<String>()), None);
            chars[i] = was;
        }
        assert_eq!(verify(b"key-one", "short"), None);
    }
}
