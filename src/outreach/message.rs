//! What an outbox message says, rendered at send time from its payload: the clinic's name, a link
//! and when it expires; never a name, a diagnosis or an answer (INTEGRATIONS.md). English and
//! Spanish, in the patient's preferred language.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::outreach::invitations::model::InvitationPurpose as Purpose;
use crate::patients::api::Language;

/// Why the patient is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// Staff invited the patient.
    Invitation,
    /// The invited work is still unfinished.
    Reminder,
}

/// The stored payload of an email or SMS message. The link's token is not in it: it waits,
/// sealed, in the message's `secret` until the message is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkMessage {
    pub template: Template,
    pub purpose: Purpose,
    pub invitation_id: String,
    pub language: Language,
    pub expires_at: DateTime<Utc>,
}

/// An email ready for the transport.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The link the patient opens: the token in the fragment, which browsers do not send to servers
/// (nor to the patient app's access log).
pub fn link(base: &str, token: &str) -> String {
    format!("{base}#token={token}")
}

fn expiry(at: DateTime<Utc>, language: Language) -> String {
    match language {
        Language::En => at.format("%B %-d, %Y %H:%M UTC").to_string(),
        Language::Es => at.format("%d/%m/%Y %H:%M UTC").to_string(),
    }
}

fn lines(m: &LinkMessage, clinic: &str) -> (String, [String; 3]) {
    let until = expiry(m.expires_at, m.language);
    match (m.language, m.template, m.purpose) {
        (Language::En, Template::Invitation, Purpose::Intake) => (
            format!("{clinic}: your intake form"),
            [
                format!("{clinic} has invited you to fill in your intake form before your first visit."),
                "Open the link below and confirm your date of birth to begin:".into(),
                format!("The link works once and expires on {until}."),
            ],
        ),
        (Language::En, Template::Invitation, Purpose::Checkin) => (
            format!("{clinic}: a short check-in"),
            [
                format!("{clinic} asks you to answer a short check-in."),
                "Open the link below and confirm your date of birth to begin:".into(),
                format!("The link works once and expires on {until}."),
            ],
        ),
        (Language::En, Template::Reminder, Purpose::Intake) => (
            format!("Reminder from {clinic}: your intake form"),
            [
                "Your intake form is not finished yet.".into(),
                "Open the link below and confirm your date of birth to continue:".into(),
                format!("The link works once and expires on {until}."),
            ],
        ),
        (Language::En, Template::Reminder, Purpose::Checkin) => (
            format!("Reminder from {clinic}: your check-in"),
            [
                "Your check-in is due soon.".into(),
                "Open the link below and confirm your date of birth to answer it:".into(),
                format!("The link works once and expires on {until}."),
            ],
        ),
        (Language::Es, Template::Invitation, Purpose::Intake) => (
            format!("{clinic}: su formulario de admisión"),
            [
                format!("{clinic} le invita a completar su formulario de admisión antes de su primera visita."),
                "Abra el enlace y confirme su fecha de nacimiento para comenzar:".into(),
                format!("El enlace funciona una sola vez y vence el {until}."),
            ],
        ),
        (Language::Es, Template::Invitation, Purpose::Checkin) => (
            format!("{clinic}: un breve seguimiento"),
            [
                format!("{clinic} le pide responder un breve cuestionario de seguimiento."),
                "Abra el enlace y confirme su fecha de nacimiento para comenzar:".into(),
                format!("El enlace funciona una sola vez y vence el {until}."),
            ],
        ),
        (Language::Es, Template::Reminder, Purpose::Intake) => (
            format!("Recordatorio de {clinic}: su formulario de admisión"),
            [
                "Su formulario de admisión aún no está terminado.".into(),
                "Abra el enlace y confirme su fecha de nacimiento para continuar:".into(),
                format!("El enlace funciona una sola vez y vence el {until}."),
            ],
        ),
        (Language::Es, Template::Reminder, Purpose::Checkin) => (
            format!("Recordatorio de {clinic}: su seguimiento"),
            [
                "Su cuestionario de seguimiento vence pronto.".into(),
                "Abra el enlace y confirme su fecha de nacimiento para responderlo:".into(),
                format!("El enlace funciona una sola vez y vence el {until}."),
            ],
        ),
    }
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The email: plain text and HTML with the same words.
pub fn email(m: &LinkMessage, clinic: &str, link: &str) -> Email {
    let (subject, [intro, action, expires]) = lines(m, clinic);
    let text = format!("{intro}\n\n{action}\n{link}\n\n{expires}\n\n{clinic}\n");
    let lang = m.language.as_str();
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><body>\n<p>{}</p>\n<p>{}<br><a href=\"{}\">{}</a></p>\n<p>{}</p>\n<p>{}</p>\n</body></html>\n",
        escape_html(&intro),
        escape_html(&action),
        escape_html(link),
        escape_html(link),
        escape_html(&expires),
        escape_html(clinic),
    );
    Email { subject, text, html }
}

/// The SMS text: one short paragraph.
pub fn sms(m: &LinkMessage, clinic: &str, link: &str) -> String {
    let (_, [intro, action, _]) = lines(m, clinic);
    let intro = match m.template {
        Template::Invitation => intro,
        Template::Reminder => format!("{clinic}: {intro}"),
    };
    format!("{intro} {action} {link}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(language: Language, template: Template) -> LinkMessage {
        LinkMessage {
            template,
            purpose: Purpose::Intake,
            invitation_id: "inv-1".into(),
            language,
            expires_at: "2026-12-09T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn speaks_the_patients_language_and_carries_the_link() {
        let link = link("https://app.example.org/invite", "tok");
        assert_eq!(link, "https://app.example.org/invite#token=tok");
        let en = email(
            &message(Language::En, Template::Invitation),
            "Sunrise Pain Clinic",
            &link,
        );
        assert_eq!(en.subject, "Sunrise Pain Clinic: your intake form");
        assert!(en.text.contains(&link) && en.text.contains("December 9, 2026 10:00 UTC"));
        assert!(
            en.html.contains("<html lang=\"en\">")
                && en.html.contains("href=\"https://app.example.org/invite#token=tok\"")
        );
        let es = email(&message(Language::Es, Template::Reminder), "Clínica Sol", &link);
        assert_eq!(es.subject, "Recordatorio de Clínica Sol: su formulario de admisión");
        assert!(es.text.contains("vence el 09/12/2026 10:00 UTC"));
        let text = sms(&message(Language::Es, Template::Reminder), "Clínica Sol", &link);
        assert!(text.starts_with("Clínica Sol: Su formulario") && text.ends_with(&link));
    }

    #[test]
    fn html_is_escaped() {
        let m = message(Language::En, Template::Invitation);
        let e = email(&m, "A&B <Clinic>", "https://x.example/invite#token=a\"b");
        assert!(e.html.contains("A&amp;B &lt;Clinic&gt;"));
        assert!(e.html.contains("token=a&quot;b"));
        assert!(!e.html.contains("<Clinic>"));
    }
}
