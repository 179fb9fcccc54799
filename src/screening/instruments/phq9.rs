//! PHQ-9 (Kroenke 2001): definition and scoring.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::{Module, band, items};
use super::form::{FREQUENCY, Instrument, Item, ItemKind, VERSION, item, scale, t};
use crate::screening::answers::Reader;
use crate::screening::model::{Cutoffs, Flag, ScoreResult, Severity, Source};

pub const MODULE: Module = Module {
    definition,
    score,
    cutoffs,
    example,
};

/// The questionnaire as it is shown and documented.
pub fn definition() -> Instrument {
    let texts = [
        t(
            "Little interest or pleasure in doing things",
            "Poco interés o placer en hacer cosas",
        ),
        t(
            "Feeling down, depressed, or hopeless",
            "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
        ),
        t(
            "Trouble falling or staying asleep, or sleeping too much",
            "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
        ),
        t(
            "Feeling tired or having little energy",
            "Se ha sentido cansado(a) o con poca energía",
        ),
        t("Poor appetite or overeating", "Sin apetito o ha comido en exceso"),
        t(
            "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
            "Se ha sentido mal con usted mismo(a) — o que es un fracaso o que ha quedado mal con usted mismo(a) o con su familia",
        ),
        t(
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el periódico o ver la televisión",
        ),
        t(
            "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
            "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo contrario — muy inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo normal",
        ),
        t(
            "Thoughts that you would be better off dead or of hurting yourself in some way",
            "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
        ),
    ];
    let mut items: Vec<Item> = texts
        .iter()
        .zip(["1", "2", "3", "4", "5", "6", "7", "8", "9"])
        .map(|(text, id)| item(id, *text, ItemKind::SingleChoice, scale(&FREQUENCY)))
        .collect();
    items.push(
        item(
            "10",
            t(
                "If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?",
                "Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos problemas para hacer su trabajo, encargarse de las tareas del hogar, o llevarse bien con otras personas?",
            ),
            ItemKind::SingleChoice,
            scale(&[
                t("Not difficult at all", "No ha sido difícil"),
                t("Somewhat difficult", "Un poco difícil"),
                t("Very difficult", "Muy difícil"),
                t("Extremely difficult", "Extremadamente difícil"),
            ]),
        )
        .optional(),
    );
    Instrument {
        code: InstrumentCode::Phq9,
        name: t(
            "Patient Health Questionnaire-9 (PHQ-9)",
            "Cuestionario sobre la Salud del Paciente-9 (PHQ-9)",
        ),
        version: VERSION,
        licence: "public domain",
        restricted: false,
        citation: "Kroenke K, Spitzer RL, Williams JB. J Gen Intern Med 2001;16:606-13",
        recall_period: t("Last 2 weeks", "Últimas 2 semanas"),
        instructions: t(
            "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
            "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los siguientes problemas?",
        ),
        official_translation: true,
        items,
        rule_set: "PHQ9-Kroenke2001",
        scoring: "Total = sum of items 1-9 (0-27); item 10 is recorded, not scored. Bands 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe; screen positive at the configured cut-off (default 10). PHQ-2 = items 1+2 (positive at default 3). Item 9 of 1 or more raises the urgent flag suicidal_ideation and makes the ASQ required.",
        total_range: Some((0, 27)),
        bands: &[
            ("minimal", 0, 4),
            ("mild", 5, 9),
            ("moderate", 10, 14),
            ("moderately_severe", 15, 19),
            ("severe", 20, 27),
        ],
        loinc_total: Some("44261-6"),
        loinc_panel: Some("44249-1"),
    }
}

/// PHQ-9 (Kroenke 2001): total 0–27, bands, PHQ-2; item 9 ≥ 1 raises an urgent flag.
pub fn score(r: &mut Reader<'_>, c: &Cutoffs) -> Option<ScoreResult> {
    let v = items(r, 1, 9, 0, 3);
    let difficulty = r.opt_int("10", 0, 3);
    let v = v?;
    let total: i64 = v.iter().sum();
    let phq2 = v[0] + v[1];
    let mut s = ScoreResult::new(InstrumentCode::Phq9, VERSION, "PHQ9-Kroenke2001")
        .total_int(total)
        .sub("phq2", phq2)
        .sub("phq2_positive", phq2 >= i64::from(c.phq2_positive))
        .sub("item9", v[8]);
    if let Some(d) = difficulty {
        s = s.sub("difficulty", d);
    }
    s.band = Some(
        band(
            total,
            &[
                (4, "minimal"),
                (9, "mild"),
                (14, "moderate"),
                (19, "moderately_severe"),
                (27, "severe"),
            ],
        )
        .into(),
    );
    s.positive = Some(total >= i64::from(c.phq9_positive));
    if v[8] >= 1 {
        s.flags.push(Flag::new(
            "suicidal_ideation",
            Severity::Urgent,
            Source::G,
            "PHQ-9 item 9 answered 1 or more: thoughts of death or self-harm; review today and complete the ASQ",
            vec![r.path("9")],
        ));
    }
    Some(s)
}

/// The cut-offs its rules use, as recorded on each result.
pub fn cutoffs(c: &Cutoffs) -> Vec<(&'static str, Value)> {
    vec![
        ("positive", c.phq9_positive.into()),
        ("phq2_positive", c.phq2_positive.into()),
    ]
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"1": 1, "2": 2, "3": 3, "4": 2, "5": 1, "6": 1, "7": 1, "8": 0, "9": 1, "10": 1})
}
