//! The consent document patients sign, with its version and SHA-256, in English and Spanish.
//! An intake's consent records the version, the hash of the exact text shown, the typed name,
//! the time, the client address and the user agent.

use actix_web::{HttpResponse, get};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::ApiError;
use crate::http::extract::ValidatedQuery;
use crate::patients::api::Language;

/// Version of the consent text now in force; a change makes earlier signatures outdated.
pub const CURRENT_VERSION: &str = "2026-11-01";

const TEXT_EN: &str = "\
Consent to intravenous ketamine treatment for chronic pain (version 2026-11-01)

1. Off-label use, no guarantee. Ketamine is approved by the FDA as an anaesthetic. Its use for pain, \
depression or anxiety is off-label. Benefit is not guaranteed; relief may last days to months, and repeat \
or maintenance infusions may be needed.
2. Controlled substance. Ketamine is a Schedule III controlled substance with a potential for misuse and \
dependence. The clinic follows universal precautions and may monitor for misuse.
3. Effects during and after the infusion. Ketamine can cause dissociation or out-of-body feelings, changes \
in perception or hallucinations, dizziness, nausea or vomiting, blurred or double vision, and changes in mood \
for up to 24 hours.
4. Monitoring and rescue medicines. An IV line is placed. Blood pressure, heart rate and oxygen level are \
monitored throughout. Blood pressure and heart rate may rise. You may receive medicines for nausea, blood \
pressure or anxiety, and the infusion may be slowed or stopped.
5. Longer-term risks. With repeated or high-dose use, ketamine can cause bladder problems, effects on memory \
and thinking, and raised liver enzymes. The long-term safety of repeated treatment is not established.
6. After the infusion. A responsible adult must take you home. For 24 hours you must not drive, operate \
machinery, drink alcohol, use recreational drugs or make important decisions. Avoid opioids and \
benzodiazepines for about 4 hours unless told otherwise.
7. Pregnancy. Ketamine is not given during pregnancy. Tell the clinic at once if you become pregnant during \
the course.
8. Right to withdraw. You may decline or withdraw consent at any time, and ask to stop an infusion before or \
during it.
9. Continuing care and crisis plan. Infusions do not replace your regular medical or mental-health care. If \
you have thoughts of suicide or an emergency, call 988 or 911 or go to the nearest emergency department.
10. Privacy and costs. I have received the clinic's notice of privacy practices and understand my financial \
responsibility for treatment.

By typing my name I confirm that I have read and understood this consent, that my questions have been \
answered, and that I agree to treatment.
";

const TEXT_ES: &str = "\
Consentimiento para el tratamiento con ketamina intravenosa para el dolor crónico (versión 2026-11-01)

1. Uso fuera de indicación, sin garantía. La FDA aprobó la ketamina como anestésico. Su uso para el dolor, la \
depresión o la ansiedad es fuera de indicación. El beneficio no está garantizado; el alivio puede durar de días \
a meses y pueden necesitarse infusiones repetidas o de mantenimiento.
2. Sustancia controlada. La ketamina es una sustancia controlada de la Lista III con posibilidad de uso indebido \
y dependencia. La clínica sigue precauciones universales y puede vigilar el uso indebido.
3. Efectos durante y después de la infusión. La ketamina puede causar disociación o sensación de estar fuera del \
cuerpo, cambios en la percepción o alucinaciones, mareo, náuseas o vómitos, visión borrosa o doble y cambios del \
estado de ánimo hasta por 24 horas.
4. Monitoreo y medicamentos de rescate. Se coloca una vía intravenosa. Se vigilan la presión arterial, la \
frecuencia cardíaca y el oxígeno durante todo el tratamiento. La presión arterial y la frecuencia cardíaca pueden \
subir. Puede recibir medicamentos para las náuseas, la presión arterial o la ansiedad, y la infusión puede hacerse \
más lenta o detenerse.
5. Riesgos a largo plazo. Con el uso repetido o en dosis altas, la ketamina puede causar problemas de la vejiga, \
efectos en la memoria y el pensamiento, y elevación de las enzimas del hígado. La seguridad a largo plazo del \
tratamiento repetido no está establecida.
6. Después de la infusión. Un adulto responsable debe llevarle a casa. Durante 24 horas no debe conducir, manejar \
maquinaria, beber alcohol, usar drogas recreativas ni tomar decisiones importantes. Evite los opioides y las \
benzodiazepinas durante unas 4 horas salvo indicación contraria.
7. Embarazo. La ketamina no se administra durante el embarazo. Avise de inmediato a la clínica si se embaraza \
durante el tratamiento.
8. Derecho a retirarse. Puede rechazar o retirar su consentimiento en cualquier momento y pedir que se detenga \
una infusión antes o durante la misma.
9. Atención continua y plan de crisis. Las infusiones no sustituyen su atención médica o de salud mental \
habitual. Si tiene pensamientos de suicidio o una emergencia, llame al 988 o al 911 o acuda a la sala de \
emergencias más cercana.
10. Privacidad y costos. He recibido el aviso de prácticas de privacidad de la clínica y entiendo mi \
responsabilidad económica por el tratamiento.

Al escribir mi nombre confirmo que he leído y entendido este consentimiento, que se han respondido mis preguntas \
y que acepto el tratamiento.
";

pub fn text(lang: Language) -> &'static str {
    match lang {
        Language::En => TEXT_EN,
        Language::Es => TEXT_ES,
    }
}

/// Hex SHA-256 of the exact UTF-8 text.
pub fn sha256(lang: Language) -> String {
    Sha256::digest(text(lang).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The consent text a patient reads and signs.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"version": "2026-11-01", "lang": "en", "text": "Consent to intravenous ketamine treatment for chronic pain …",
    "sha256": "3f1c…"}))]
pub struct ConsentDocument {
    pub version: String,
    pub lang: Language,
    pub text: String,
    /// SHA-256 (hex) of `text`, recorded with the signature.
    pub sha256: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsentQuery {
    /// `en` (default) or `es`.
    pub lang: Option<Language>,
}

/// The consent text now in force (public).
#[utoipa::path(
    tag = "intakes",
    params(ConsentQuery),
    responses((status = 200, description = "The consent document", body = ConsentDocument))
)]
#[get("/current")]
pub async fn get_current_consent(ValidatedQuery(q): ValidatedQuery<ConsentQuery>) -> Result<HttpResponse, ApiError> {
    let lang = q.lang.unwrap_or_default();
    Ok(HttpResponse::Ok().json(ConsentDocument {
        version: CURRENT_VERSION.into(),
        lang,
        text: text(lang).into(),
        sha256: sha256(lang),
    }))
}

/// The consent text (`/api/v1/consent`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_current_consent);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_distinct() {
        assert_eq!(sha256(Language::En).len(), 64);
        assert_ne!(sha256(Language::En), sha256(Language::Es));
        assert_eq!(sha256(Language::En), sha256(Language::En));
        assert!(text(Language::Es).contains("versión 2026-11-01"));
    }
}
