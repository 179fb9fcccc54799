//! The v1 instrument catalogue (CLINICAL.md) with item text in English and Spanish.
//!
//! Public-domain instruments carry their published English wording. Spanish: PHQ-9 and GAD-7
//! follow the Spanish (US) versions distributed with the PHQ screeners; the other Spanish texts
//! are this clinic's translations and are marked `official_translation: false` until checked
//! against the developers' Spanish versions. Restricted instruments (DN4, C-SSRS) carry short
//! paraphrased labels only: their official wording ships with the licence.

use std::sync::LazyLock;

use serde_json::{Value, json};

use super::model::Text;
use super::scoring::{VERSION, WPI_AREAS};

const fn t(en: &'static str, es: &'static str) -> Text {
    Text { en, es }
}

/// How an item is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    SingleChoice,
    MultiChoice,
    Boolean,
    Integer,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::SingleChoice => "single_choice",
            ItemKind::MultiChoice => "multi_choice",
            ItemKind::Boolean => "boolean",
            ItemKind::Integer => "integer",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: Value,
    pub label: Text,
}

#[derive(Debug, Clone)]
pub struct Item {
    /// Stable id in the wire format; `a.b` is key `b` inside object `a`.
    pub id: &'static str,
    pub text: Text,
    pub kind: ItemKind,
    pub options: Vec<Choice>,
    /// `None`: always required. `Some(rule)`: asked (and then required) only when the rule holds.
    pub shown_when: Option<&'static str>,
    /// Optional even when shown.
    pub optional: bool,
    /// `clinician` items are recorded at examination, not by the patient.
    pub clinician: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Instrument {
    pub code: &'static str,
    pub name: Text,
    pub version: &'static str,
    pub licence: &'static str,
    /// Off unless the clinic enables it (licence required).
    pub restricted: bool,
    pub citation: &'static str,
    pub recall_period: Text,
    pub instructions: Text,
    pub official_translation: bool,
    pub items: Vec<Item>,
    pub rule_set: &'static str,
    /// How the server scores it (for clinicians and integrators; English).
    pub scoring: &'static str,
    pub total_range: Option<(i64, i64)>,
    /// (band id, lowest total, highest total).
    pub bands: &'static [(&'static str, i64, i64)],
    /// LOINC code of the total score, where one exists.
    pub loinc_total: Option<&'static str>,
    /// LOINC code of the panel, where one exists.
    pub loinc_panel: Option<&'static str>,
}

fn choice(value: Value, label: Text) -> Choice {
    Choice { value, label }
}

fn item(id: &'static str, text: Text, kind: ItemKind, options: Vec<Choice>) -> Item {
    Item {
        id,
        text,
        kind,
        options,
        shown_when: None,
        optional: false,
        clinician: false,
        min: None,
        max: None,
    }
}

impl Item {
    fn when(mut self, rule: &'static str) -> Self {
        self.shown_when = Some(rule);
        self
    }
    fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    fn clinician(mut self) -> Self {
        self.clinician = true;
        self
    }
    fn range(mut self, min: i64, max: i64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }
}

fn scale(labels: &[Text]) -> Vec<Choice> {
    labels.iter().enumerate().map(|(i, l)| choice(json!(i), *l)).collect()
}

fn yes_no() -> Vec<Choice> {
    vec![choice(json!(true), t("Yes", "Sí")), choice(json!(false), t("No", "No"))]
}

const FREQUENCY: [Text; 4] = [
    t("Not at all", "Ningún día"),
    t("Several days", "Varios días"),
    t("More than half the days", "Más de la mitad de los días"),
    t("Nearly every day", "Casi todos los días"),
];

fn nrs(low: Text, high: Text) -> Vec<Choice> {
    (0..=10)
        .map(|i| match i {
            0 => choice(json!(0), low),
            10 => choice(json!(10), high),
            _ => choice(
                json!(i),
                Text {
                    en: NUMBERS[i],
                    es: NUMBERS[i],
                },
            ),
        })
        .collect()
}

const NUMBERS: [&str; 11] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];

fn phq9() -> Instrument {
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
        code: "phq9",
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

fn gad7() -> Instrument {
    let texts = [
        t(
            "Feeling nervous, anxious, or on edge",
            "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta",
        ),
        t(
            "Not being able to stop or control worrying",
            "No ha sido capaz de parar o controlar su preocupación",
        ),
        t(
            "Worrying too much about different things",
            "Se ha preocupado demasiado por motivos diferentes",
        ),
        t("Trouble relaxing", "Ha tenido dificultad para relajarse"),
        t(
            "Being so restless that it is hard to sit still",
            "Se ha sentido tan inquieto(a) que no ha podido quedarse quieto(a)",
        ),
        t(
            "Becoming easily annoyed or irritable",
            "Se ha molestado o irritado fácilmente",
        ),
        t(
            "Feeling afraid, as if something awful might happen",
            "Ha tenido miedo de que algo terrible fuera a pasar",
        ),
    ];
    let items = texts
        .iter()
        .zip(["1", "2", "3", "4", "5", "6", "7"])
        .map(|(text, id)| item(id, *text, ItemKind::SingleChoice, scale(&FREQUENCY)))
        .collect();
    Instrument {
        code: "gad7",
        name: t(
            "Generalized Anxiety Disorder-7 (GAD-7)",
            "Trastorno de Ansiedad Generalizada-7 (GAD-7)",
        ),
        version: VERSION,
        licence: "public domain",
        restricted: false,
        citation: "Spitzer RL, Kroenke K, Williams JB, Löwe B. Arch Intern Med 2006;166:1092-7",
        recall_period: t("Last 2 weeks", "Últimas 2 semanas"),
        instructions: t(
            "Over the last 2 weeks, how often have you been bothered by the following problems?",
            "Durante las últimas 2 semanas, ¿con qué frecuencia ha sentido molestias por los siguientes problemas?",
        ),
        official_translation: true,
        items,
        rule_set: "GAD7-Spitzer2006",
        scoring: "Total = sum of items 1-7 (0-21). Bands 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe; screen positive at the configured cut-off (default 10). GAD-2 = items 1+2 (positive at default 3).",
        total_range: Some((0, 21)),
        bands: &[
            ("minimal", 0, 4),
            ("mild", 5, 9),
            ("moderate", 10, 14),
            ("severe", 15, 21),
        ],
        loinc_total: Some("70274-6"),
        loinc_panel: Some("69737-5"),
    }
}

fn pc_ptsd5() -> Instrument {
    let mut items = vec![item(
        "trauma_exposure",
        t(
            "Sometimes things happen to people that are unusually or especially frightening, horrible, or traumatic. For example: a serious accident or fire; a physical or sexual assault or abuse; an earthquake or flood; a war; seeing someone be killed or seriously injured; having a loved one die through homicide or suicide. Have you ever experienced this kind of event?",
            "A veces a las personas les suceden cosas inusuales o especialmente aterradoras, horribles o traumáticas. Por ejemplo: un accidente grave o un incendio; una agresión o abuso físico o sexual; un terremoto o una inundación; una guerra; ver a alguien morir o resultar gravemente herido; que un ser querido muera por homicidio o suicidio. ¿Alguna vez ha vivido este tipo de evento?",
        ),
        ItemKind::Boolean,
        yes_no(),
    )];
    let texts = [
        t(
            "had nightmares about the event(s) or thought about the event(s) when you did not want to?",
            "ha tenido pesadillas sobre el evento o los eventos, o ha pensado en ellos cuando no quería?",
        ),
        t(
            "tried hard not to think about the event(s) or went out of your way to avoid situations that reminded you of the event(s)?",
            "se ha esforzado por no pensar en el evento o los eventos, o ha hecho todo lo posible por evitar situaciones que se los recordaran?",
        ),
        t(
            "been constantly on guard, watchful, or easily startled?",
            "ha estado constantemente en guardia, alerta o se ha sobresaltado con facilidad?",
        ),
        t(
            "felt numb or detached from people, activities, or your surroundings?",
            "se ha sentido insensible o desconectado(a) de las personas, de las actividades o de su entorno?",
        ),
        t(
            "felt guilty or unable to stop blaming yourself or others for the event(s) or any problems the event(s) may have caused?",
            "se ha sentido culpable o incapaz de dejar de culparse a sí mismo(a) o a otros por el evento o los eventos, o por los problemas que hayan podido causar?",
        ),
    ];
    items.extend(
        texts
            .iter()
            .zip(["1", "2", "3", "4", "5"])
            .map(|(text, id)| item(id, *text, ItemKind::Boolean, yes_no()).when("trauma_exposure is true")),
    );
    Instrument {
        code: "pc_ptsd5",
        name: t(
            "Primary Care PTSD Screen for DSM-5 (PC-PTSD-5)",
            "Prueba de detección de TEPT en atención primaria para el DSM-5 (PC-PTSD-5)",
        ),
        version: VERSION,
        licence: "U.S. Department of Veterans Affairs work, free to use",
        restricted: false,
        citation: "Prins A, et al. J Gen Intern Med 2016;31:1206-11",
        recall_period: t("Past month", "Último mes"),
        instructions: t("In the past month, have you...", "En el último mes, ¿usted..."),
        official_translation: false,
        items,
        rule_set: "PCPTSD5-Prins2016",
        scoring: "If trauma_exposure is false the score is 0 and items 1-5 must be absent. Otherwise score = number of yes answers to items 1-5 (0-5); positive at the configured cut-off (default 3; 4 is the most efficient cut-point, Bovin 2021). A positive screen makes the PCL-5 required.",
        total_range: Some((0, 5)),
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

fn pcl5() -> Instrument {
    let texts = [
        t(
            "Repeated, disturbing, and unwanted memories of the stressful experience?",
            "¿Recuerdos repetidos, perturbadores y no deseados de la experiencia estresante?",
        ),
        t(
            "Repeated, disturbing dreams of the stressful experience?",
            "¿Sueños repetidos y perturbadores sobre la experiencia estresante?",
        ),
        t(
            "Suddenly feeling or acting as if the stressful experience were actually happening again (as if you were actually back there reliving it)?",
            "¿Sentir o actuar de repente como si la experiencia estresante estuviera ocurriendo de nuevo (como si estuviera allí reviviéndola)?",
        ),
        t(
            "Feeling very upset when something reminded you of the stressful experience?",
            "¿Sentirse muy alterado(a) cuando algo le recordaba la experiencia estresante?",
        ),
        t(
            "Having strong physical reactions when something reminded you of the stressful experience (for example, heart pounding, trouble breathing, sweating)?",
            "¿Tener reacciones físicas fuertes cuando algo le recordaba la experiencia estresante (por ejemplo, palpitaciones, dificultad para respirar, sudoración)?",
        ),
        t(
            "Avoiding memories, thoughts, or feelings related to the stressful experience?",
            "¿Evitar recuerdos, pensamientos o sentimientos relacionados con la experiencia estresante?",
        ),
        t(
            "Avoiding external reminders of the stressful experience (for example, people, places, conversations, activities, objects, or situations)?",
            "¿Evitar cosas externas que le recordaran la experiencia estresante (por ejemplo, personas, lugares, conversaciones, actividades, objetos o situaciones)?",
        ),
        t(
            "Trouble remembering important parts of the stressful experience?",
            "¿Dificultad para recordar partes importantes de la experiencia estresante?",
        ),
        t(
            "Having strong negative beliefs about yourself, other people, or the world (for example, having thoughts such as: I am bad, there is something seriously wrong with me, no one can be trusted, the world is completely dangerous)?",
            "¿Tener creencias negativas fuertes sobre usted mismo(a), otras personas o el mundo (por ejemplo, pensamientos como: soy malo(a), hay algo muy mal en mí, no se puede confiar en nadie, el mundo es completamente peligroso)?",
        ),
        t(
            "Blaming yourself or someone else for the stressful experience or what happened after it?",
            "¿Culparse a sí mismo(a) o a otra persona por la experiencia estresante o por lo que pasó después?",
        ),
        t(
            "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
            "¿Tener sentimientos negativos fuertes como miedo, horror, enojo, culpa o vergüenza?",
        ),
        t(
            "Loss of interest in activities that you used to enjoy?",
            "¿Pérdida de interés en actividades que antes disfrutaba?",
        ),
        t(
            "Feeling distant or cut off from other people?",
            "¿Sentirse distante o aislado(a) de otras personas?",
        ),
        t(
            "Trouble experiencing positive feelings (for example, being unable to feel happiness or have loving feelings for people close to you)?",
            "¿Dificultad para tener sentimientos positivos (por ejemplo, no poder sentir felicidad ni cariño por las personas cercanas)?",
        ),
        t(
            "Irritable behavior, angry outbursts, or acting aggressively?",
            "¿Comportamiento irritable, arrebatos de enojo o actuar de forma agresiva?",
        ),
        t(
            "Taking too many risks or doing things that could cause you harm?",
            "¿Correr demasiados riesgos o hacer cosas que podrían hacerle daño?",
        ),
        t(
            "Being \"superalert\" or watchful or on guard?",
            "¿Estar \"superalerta\", vigilante o en guardia?",
        ),
        t(
            "Feeling jumpy or easily startled?",
            "¿Sentirse nervioso(a) o sobresaltarse con facilidad?",
        ),
        t(
            "Having difficulty concentrating?",
            "¿Tener dificultad para concentrarse?",
        ),
        t(
            "Trouble falling or staying asleep?",
            "¿Dificultad para quedarse o permanecer dormido(a)?",
        ),
    ];
    let options = [
        t("Not at all", "Nada"),
        t("A little bit", "Un poco"),
        t("Moderately", "Moderadamente"),
        t("Quite a bit", "Bastante"),
        t("Extremely", "Extremadamente"),
    ];
    const IDS: [&str; 20] = [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
    ];
    let items = texts
        .iter()
        .zip(IDS)
        .map(|(text, id)| item(id, *text, ItemKind::SingleChoice, scale(&options)))
        .collect();
    Instrument {
        code: "pcl5",
        name: t(
            "PTSD Checklist for DSM-5 (PCL-5)",
            "Lista de verificación del TEPT para el DSM-5 (PCL-5)",
        ),
        version: VERSION,
        licence: "U.S. Government work, public domain",
        restricted: false,
        citation: "Weathers FW, et al. 2013 (National Center for PTSD); Blevins CA, et al. J Trauma Stress 2015;28:489-98",
        recall_period: t("Past month", "Último mes"),
        instructions: t(
            "Below is a list of problems that people sometimes have in response to a very stressful experience. Please read each problem carefully and then select one of the numbers to indicate how much you have been bothered by that problem in the past month.",
            "A continuación hay una lista de problemas que las personas a veces tienen en respuesta a una experiencia muy estresante. Lea cada problema con atención y seleccione una opción para indicar cuánto le ha molestado ese problema en el último mes.",
        ),
        official_translation: false,
        items,
        rule_set: "PCL5-Weathers2013",
        scoring: "Total = sum of items 1-20 (0-80); cluster sums B (1-5), C (6-7), D (8-14), E (15-20). Two results: positive (probable PTSD) at the configured cut-off (default 33; 31-33 in current VA guidance), and the DSM-5 rule (an item counts at 2 or more; needs 1 B, 1 C, 2 D, 2 E). No severity bands.",
        total_range: Some((0, 80)),
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

fn asq() -> Instrument {
    let ynr = || {
        vec![
            choice(json!("yes"), t("Yes", "Sí")),
            choice(json!("no"), t("No", "No")),
            choice(json!("refused"), t("Prefer not to answer", "Prefiero no contestar")),
        ]
    };
    let items = vec![
        item(
            "1",
            t(
                "In the past few weeks, have you wished you were dead?",
                "En las últimas semanas, ¿ha deseado estar muerto(a)?",
            ),
            ItemKind::SingleChoice,
            ynr(),
        ),
        item(
            "2",
            t(
                "In the past few weeks, have you felt that you or your family would be better off if you were dead?",
                "En las últimas semanas, ¿ha sentido que usted o su familia estarían mejor si usted estuviera muerto(a)?",
            ),
            ItemKind::SingleChoice,
            ynr(),
        ),
        item(
            "3",
            t(
                "In the past week, have you been having thoughts about killing yourself?",
                "En la última semana, ¿ha pensado en suicidarse?",
            ),
            ItemKind::SingleChoice,
            ynr(),
        ),
        item(
            "4",
            t(
                "Have you ever tried to kill yourself?",
                "¿Alguna vez ha intentado suicidarse?",
            ),
            ItemKind::SingleChoice,
            ynr(),
        ),
        item(
            "5",
            t(
                "Are you having thoughts of killing yourself right now?",
                "¿Está pensando en suicidarse en este momento?",
            ),
            ItemKind::SingleChoice,
            vec![choice(json!("yes"), t("Yes", "Sí")), choice(json!("no"), t("No", "No"))],
        )
        .when("any of items 1-4 is yes or refused"),
    ];
    Instrument {
        code: "asq",
        name: t(
            "Ask Suicide-Screening Questions (ASQ)",
            "Preguntas de Detección del Riesgo de Suicidio (ASQ)",
        ),
        version: VERSION,
        licence: "NIMH, free to use",
        restricted: false,
        citation: "Horowitz LM, et al. Psychosomatics 2020;61:713-22",
        recall_period: t(
            "Past few weeks; item 5: right now",
            "Últimas semanas; pregunta 5: en este momento",
        ),
        instructions: t(
            "Please answer each question. If you are having thoughts of harming yourself right now, tell a staff member or call 988.",
            "Conteste cada pregunta. Si en este momento tiene pensamientos de hacerse daño, avise al personal o llame al 988.",
        ),
        official_translation: false,
        items,
        rule_set: "ASQ-NIMH2020",
        scoring: "Items 1-4: yes, no or refused (refused counts as yes). All no: negative, item 5 not asked. Any yes or refusal: positive, item 5 required: yes = acute positive (urgent flag suicide_risk_acute), no = non-acute positive (warning suicide_risk_nonacute). Required at every intake.",
        total_range: None,
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

fn pain_nrs() -> Instrument {
    let anchors = || {
        nrs(
            t("0 — No pain", "0 — Sin dolor"),
            t("10 — Pain as bad as you can imagine", "10 — El peor dolor imaginable"),
        )
    };
    let items = vec![
        item(
            "now",
            t("Rate your pain right now.", "Califique su dolor en este momento."),
            ItemKind::SingleChoice,
            anchors(),
        ),
        item(
            "average",
            t(
                "Rate your average pain over the past week.",
                "Califique su dolor promedio durante la última semana.",
            ),
            ItemKind::SingleChoice,
            anchors(),
        ),
        item(
            "worst",
            t(
                "Rate your worst pain over the past week.",
                "Califique su peor dolor durante la última semana.",
            ),
            ItemKind::SingleChoice,
            anchors(),
        ),
    ];
    Instrument {
        code: "pain_nrs",
        name: t(
            "Pain intensity (0-10 numeric rating scale)",
            "Intensidad del dolor (escala numérica de 0 a 10)",
        ),
        version: VERSION,
        licence: "generic",
        restricted: false,
        citation: "Serlin RC, et al. Pain 1995;61:277-84 (bands)",
        recall_period: t("Now and past week", "Ahora y última semana"),
        instructions: t(
            "Choose the number that best describes your pain.",
            "Elija el número que mejor describe su dolor.",
        ),
        official_translation: false,
        items,
        rule_set: "NRS-Serlin1995",
        scoring: "Three 0-10 ratings. The total is the average-pain rating. Bands (configurable, Serlin 1995): 0 none, 1-4 mild, 5-6 moderate, 7-10 severe; each rating's band is reported.",
        total_range: Some((0, 10)),
        bands: &[("none", 0, 0), ("mild", 1, 4), ("moderate", 5, 6), ("severe", 7, 10)],
        loinc_total: Some("72514-3"),
        loinc_panel: None,
    }
}

fn peg() -> Instrument {
    let items = vec![
        item(
            "pain",
            t(
                "What number best describes your pain on average in the past week?",
                "¿Qué número describe mejor su dolor promedio durante la última semana?",
            ),
            ItemKind::SingleChoice,
            nrs(
                t("0 — No pain", "0 — Sin dolor"),
                t("10 — Pain as bad as you can imagine", "10 — El peor dolor imaginable"),
            ),
        ),
        item(
            "enjoyment",
            t(
                "What number best describes how, during the past week, pain has interfered with your enjoyment of life?",
                "¿Qué número describe mejor cuánto ha interferido el dolor, durante la última semana, en su disfrute de la vida?",
            ),
            ItemKind::SingleChoice,
            nrs(
                t("0 — Does not interfere", "0 — No interfiere"),
                t("10 — Completely interferes", "10 — Interfiere por completo"),
            ),
        ),
        item(
            "activity",
            t(
                "What number best describes how, during the past week, pain has interfered with your general activity?",
                "¿Qué número describe mejor cuánto ha interferido el dolor, durante la última semana, en su actividad general?",
            ),
            ItemKind::SingleChoice,
            nrs(
                t("0 — Does not interfere", "0 — No interfiere"),
                t("10 — Completely interferes", "10 — Interfiere por completo"),
            ),
        ),
    ];
    Instrument {
        code: "peg",
        name: t(
            "PEG: pain, enjoyment of life, general activity",
            "PEG: dolor, disfrute de la vida, actividad general",
        ),
        version: VERSION,
        licence: "free distribution (derived from the Brief Pain Inventory)",
        restricted: false,
        citation: "Krebs EE, et al. J Gen Intern Med 2009;24:733-8",
        recall_period: t("Past week", "Última semana"),
        instructions: t(
            "Choose one number for each question.",
            "Elija un número para cada pregunta.",
        ),
        official_translation: false,
        items,
        rule_set: "PEG-Krebs2009",
        scoring: "Score = mean of the three items, rounded to 2 decimals (0-10). No bands; used to follow change (minimal important difference about 1-1.75 points).",
        total_range: Some((0, 10)),
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

const AREA_LABELS: [(&str, Text); 19] = [
    ("jaw_left", t("Jaw, left", "Mandíbula, izquierda")),
    ("shoulder_girdle_left", t("Shoulder girdle, left", "Hombro, izquierdo")),
    ("upper_arm_left", t("Upper arm, left", "Brazo, izquierdo")),
    ("lower_arm_left", t("Lower arm, left", "Antebrazo, izquierdo")),
    ("jaw_right", t("Jaw, right", "Mandíbula, derecha")),
    ("shoulder_girdle_right", t("Shoulder girdle, right", "Hombro, derecho")),
    ("upper_arm_right", t("Upper arm, right", "Brazo, derecho")),
    ("lower_arm_right", t("Lower arm, right", "Antebrazo, derecho")),
    (
        "hip_left",
        t(
            "Hip (buttock, trochanter), left",
            "Cadera (glúteo, trocánter), izquierda",
        ),
    ),
    ("upper_leg_left", t("Upper leg, left", "Muslo, izquierdo")),
    ("lower_leg_left", t("Lower leg, left", "Pierna, izquierda")),
    (
        "hip_right",
        t(
            "Hip (buttock, trochanter), right",
            "Cadera (glúteo, trocánter), derecha",
        ),
    ),
    ("upper_leg_right", t("Upper leg, right", "Muslo, derecho")),
    ("lower_leg_right", t("Lower leg, right", "Pierna, derecha")),
    ("neck", t("Neck", "Cuello")),
    ("upper_back", t("Upper back", "Espalda alta")),
    ("lower_back", t("Lower back", "Espalda baja")),
    ("chest", t("Chest", "Pecho")),
    ("abdomen", t("Abdomen", "Abdomen")),
];

fn fm2016() -> Instrument {
    debug_assert!(AREA_LABELS.iter().zip(WPI_AREAS.iter()).all(|(a, b)| a.0 == b.0));
    let severity = || {
        scale(&[
            t("No problem", "Ningún problema"),
            t(
                "Slight or mild problems; generally mild or intermittent",
                "Problemas leves; en general leves o intermitentes",
            ),
            t(
                "Moderate; considerable problems; often present and/or at a moderate level",
                "Moderados; problemas considerables; a menudo presentes o de nivel moderado",
            ),
            t(
                "Severe: pervasive, continuous, life-disturbing problems",
                "Graves: problemas generalizados, continuos, que alteran la vida",
            ),
        ])
    };
    let items = vec![
        item(
            "painful_areas",
            t(
                "Check each area where you have had pain over the past week (none is a valid answer).",
                "Marque cada zona en la que haya tenido dolor durante la última semana (ninguna es una respuesta válida).",
            ),
            ItemKind::MultiChoice,
            AREA_LABELS
                .iter()
                .map(|(id, label)| choice(json!(id), *label))
                .collect(),
        ),
        item(
            "fatigue",
            t("Fatigue, over the past week", "Cansancio, durante la última semana"),
            ItemKind::SingleChoice,
            severity(),
        ),
        item(
            "waking_unrefreshed",
            t(
                "Waking unrefreshed, over the past week",
                "Despertar sin sentirse descansado(a), durante la última semana",
            ),
            ItemKind::SingleChoice,
            severity(),
        ),
        item(
            "cognitive",
            t(
                "Cognitive symptoms (trouble thinking or remembering), over the past week",
                "Síntomas cognitivos (dificultad para pensar o recordar), durante la última semana",
            ),
            ItemKind::SingleChoice,
            severity(),
        ),
        item(
            "headaches",
            t(
                "During the past 6 months, have you had headaches?",
                "Durante los últimos 6 meses, ¿ha tenido dolores de cabeza?",
            ),
            ItemKind::Boolean,
            yes_no(),
        ),
        item(
            "lower_abdominal_pain",
            t(
                "During the past 6 months, have you had pain or cramps in the lower abdomen?",
                "Durante los últimos 6 meses, ¿ha tenido dolor o cólicos en la parte baja del abdomen?",
            ),
            ItemKind::Boolean,
            yes_no(),
        ),
        item(
            "depression",
            t(
                "During the past 6 months, have you had depression?",
                "Durante los últimos 6 meses, ¿ha tenido depresión?",
            ),
            ItemKind::Boolean,
            yes_no(),
        ),
        item(
            "symptom_duration_months",
            t(
                "For how many months have these symptoms been present at a similar level?",
                "¿Durante cuántos meses han estado presentes estos síntomas con una intensidad similar?",
            ),
            ItemKind::Integer,
            Vec::new(),
        )
        .range(0, 1200),
    ];
    Instrument {
        code: "fm2016",
        name: t(
            "ACR 2016 fibromyalgia criteria (WPI and SSS)",
            "Criterios ACR 2016 de fibromialgia (WPI y SSS)",
        ),
        version: VERSION,
        licence: "published criteria",
        restricted: false,
        citation: "Wolfe F, et al. Semin Arthritis Rheum 2016;46:319-29; FS categories Wolfe 2015",
        recall_period: t(
            "Past week; past 6 months for the three symptoms",
            "Última semana; últimos 6 meses para los tres síntomas",
        ),
        instructions: t(
            "Answer about the past week unless the question says otherwise.",
            "Responda sobre la última semana salvo que la pregunta indique otra cosa.",
        ),
        official_translation: false,
        items,
        rule_set: "ACR2016",
        scoring: "WPI = painful areas (0-19). SSS = fatigue + waking unrefreshed + cognitive (0-3 each) + 1 each for headaches, lower-abdominal pain, depression (0-12). Criteria met when (WPI >= 7 and SSS >= 5) or (WPI 4-6 and SSS >= 9), pain in >= 4 of 5 regions (jaw, chest and abdomen do not count towards regions), and symptoms >= 3 months. FS = WPI + SSS (0-31): 0-3 none, 4-7 mild, 8-11 moderate, 12-19 severe, 20-31 very severe.",
        total_range: Some((0, 31)),
        bands: &[
            ("none", 0, 3),
            ("mild", 4, 7),
            ("moderate", 8, 11),
            ("severe", 12, 19),
            ("very_severe", 20, 31),
        ],
        loinc_total: None,
        loinc_panel: None,
    }
}

fn crps_budapest() -> Instrument {
    let symptom =
        |key: &'static str, en: &'static str, es: &'static str| item(key, t(en, es), ItemKind::Boolean, yes_no());
    let mut items = vec![item(
        "disproportionate_pain",
        t(
            "Is your pain continuing and out of proportion to the original injury or event?",
            "¿Su dolor continúa y es desproporcionado respecto a la lesión o el evento original?",
        ),
        ItemKind::Boolean,
        yes_no(),
    )];
    let categories = [
        (
            "sensory",
            "Increased sensitivity, or pain from light touch, clothing or temperature, in the affected area",
            "Mayor sensibilidad, o dolor con el roce leve, la ropa o la temperatura, en la zona afectada",
            "Hyperesthesia (to pinprick) and/or allodynia (to light touch, temperature, deep pressure or joint movement)",
            "Hiperestesia (al pinchazo) y/o alodinia (al tacto leve, la temperatura, la presión profunda o el movimiento articular)",
        ),
        (
            "vasomotor",
            "A temperature difference between the affected limb and the other side, or changes in skin colour",
            "Diferencia de temperatura entre la extremidad afectada y el otro lado, o cambios en el color de la piel",
            "Temperature asymmetry (> 1 °C) and/or skin colour changes or asymmetry",
            "Asimetría de temperatura (> 1 °C) y/o cambios o asimetría del color de la piel",
        ),
        (
            "sudomotor_edema",
            "Swelling, or changes in sweating or a sweating difference, in the affected area",
            "Hinchazón, o cambios o diferencias en la sudoración, en la zona afectada",
            "Oedema and/or sweating changes or asymmetry",
            "Edema y/o cambios o asimetría de la sudoración",
        ),
        (
            "motor_trophic",
            "Stiffness or reduced movement, weakness, tremor or abnormal posture, or changes in hair, nails or skin",
            "Rigidez o menor movilidad, debilidad, temblor o postura anormal, o cambios en el vello, las uñas o la piel",
            "Reduced range of motion and/or motor dysfunction (weakness, tremor, dystonia) and/or trophic changes (hair, nail, skin)",
            "Menor amplitud de movimiento y/o disfunción motora (debilidad, temblor, distonía) y/o cambios tróficos (vello, uñas, piel)",
        ),
    ];
    const SYMPTOM_IDS: [&str; 4] = [
        "symptoms.sensory",
        "symptoms.vasomotor",
        "symptoms.sudomotor_edema",
        "symptoms.motor_trophic",
    ];
    const SIGN_IDS: [&str; 4] = [
        "signs.sensory",
        "signs.vasomotor",
        "signs.sudomotor_edema",
        "signs.motor_trophic",
    ];
    for ((_, en, es, _, _), id) in categories.iter().zip(SYMPTOM_IDS) {
        items.push(symptom(id, en, es));
    }
    for ((_, _, _, en, es), id) in categories.iter().zip(SIGN_IDS) {
        items.push(
            symptom(id, en, es)
                .clinician()
                .when("recorded by a clinician at examination"),
        );
    }
    items.push(
        item(
            "other_diagnosis_explains",
            t(
                "Does another diagnosis better explain the signs and symptoms?",
                "¿Otro diagnóstico explica mejor los signos y síntomas?",
            ),
            ItemKind::Boolean,
            yes_no(),
        )
        .clinician()
        .when("recorded by a clinician at examination"),
    );
    Instrument {
        code: "crps_budapest",
        name: t(
            "Budapest clinical criteria for CRPS",
            "Criterios clínicos de Budapest para el SDRC",
        ),
        version: VERSION,
        licence: "published criteria",
        restricted: false,
        citation: "Harden RN, et al. Pain 2010;150:268-74",
        recall_period: t("Currently", "Actualmente"),
        instructions: t(
            "Answer about the affected limb. Signs are examined by your clinician at the visit.",
            "Responda sobre la extremidad afectada. Los signos los examinará su médico en la consulta.",
        ),
        official_translation: false,
        items,
        rule_set: "Budapest2010-clinical",
        scoring: "Met when: continuing disproportionate pain; a symptom in >= 3 of 4 categories (patient); a sign in >= 2 of 4 categories (clinician); no other diagnosis better explains it (clinician). Until the clinician records the signs and the other-diagnosis answer the result is pending_clinician_exam, never not_met. Symptoms in all 4 categories are reported as the research symptom criterion.",
        total_range: None,
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

fn dn4() -> Instrument {
    let interview = [
        ("burning", t("Burning", "Quemazón")),
        ("painful_cold", t("Painful cold", "Sensación de frío doloroso")),
        ("electric_shocks", t("Electric shocks", "Descargas eléctricas")),
        ("tingling", t("Tingling", "Hormigueo")),
        ("pins_and_needles", t("Pins and needles", "Pinchazos")),
        ("numbness", t("Numbness", "Entumecimiento")),
        ("itching", t("Itching", "Picazón")),
    ];
    let mut items: Vec<Item> = interview
        .iter()
        .map(|(id, text)| item(id, *text, ItemKind::Boolean, yes_no()))
        .collect();
    for (id, text) in [
        (
            "exam.hypoesthesia_touch",
            t("Hypoaesthesia to touch", "Hipoestesia al tacto"),
        ),
        (
            "exam.hypoesthesia_pinprick",
            t("Hypoaesthesia to pinprick", "Hipoestesia al pinchazo"),
        ),
        (
            "exam.brushing",
            t(
                "Pain caused or increased by brushing",
                "Dolor provocado o aumentado por el roce",
            ),
        ),
    ] {
        items.push(
            item(id, text, ItemKind::Boolean, yes_no())
                .clinician()
                .when("recorded by a clinician at examination"),
        );
    }
    Instrument {
        code: "dn4",
        name: t(
            "DN4 neuropathic pain questionnaire",
            "Cuestionario DN4 de dolor neuropático",
        ),
        version: VERSION,
        licence: "restricted: requires a licence from the copyright holder",
        restricted: true,
        citation: "Bouhassira D, et al. Pain 2005;114:29-36",
        recall_period: t("Currently", "Actualmente"),
        instructions: t(
            "Paraphrased labels; the licensed wording is supplied with the licence.",
            "Etiquetas parafraseadas; el texto con licencia se entrega con la licencia.",
        ),
        official_translation: false,
        items,
        rule_set: "DN4-Bouhassira2005",
        scoring: "Interview score = yes answers to the 7 interview items (0-7), positive at 3. With the clinician's 3 exam items, total 0-10, positive at 4; without the exam the total is null and the result is pending_clinician_exam.",
        total_range: Some((0, 10)),
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

fn cssrs() -> Instrument {
    let q = |id: &'static str, en: &'static str, es: &'static str| item(id, t(en, es), ItemKind::Boolean, yes_no());
    let items = vec![
        q(
            "1",
            "Wished to be dead (past month)",
            "Deseo de estar muerto(a) (último mes)",
        ),
        q(
            "2",
            "Active thoughts of suicide (past month)",
            "Pensamientos activos de suicidio (último mes)",
        ),
        q("3", "Thought about how (method)", "Pensó en cómo hacerlo (método)").when("question 2 is yes"),
        q(
            "4",
            "Intention of acting on the thoughts",
            "Intención de actuar según esos pensamientos",
        )
        .when("question 2 is yes"),
        q(
            "5",
            "Worked out details or a plan, with intent",
            "Elaboró detalles o un plan, con intención",
        )
        .when("question 2 is yes"),
        q(
            "6",
            "Any suicidal behaviour (lifetime)",
            "Alguna conducta suicida (en la vida)",
        ),
        q("6b", "Was it within the past 3 months?", "¿Fue en los últimos 3 meses?").when("question 6 is yes"),
    ];
    Instrument {
        code: "cssrs_screen",
        name: t(
            "Columbia Suicide Severity Rating Scale, screener (C-SSRS)",
            "Escala Columbia para evaluar el riesgo de suicidio, versión de detección (C-SSRS)",
        ),
        version: VERSION,
        licence: "restricted: use under the Columbia Lighthouse Project's terms",
        restricted: true,
        citation: "Posner K, et al. Am J Psychiatry 2011;168:1266-77",
        recall_period: t(
            "Past month; behaviour lifetime and past 3 months",
            "Último mes; conducta en la vida y últimos 3 meses",
        ),
        instructions: t(
            "Paraphrased labels; the licensed wording is supplied with the licence.",
            "Etiquetas parafraseadas; el texto con licencia se entrega con la licencia.",
        ),
        official_translation: false,
        items,
        rule_set: "CSSRS-screener",
        scoring: "Questions 3-5 only when question 2 is yes; 6b only when 6 is yes. High: 4 or 5 yes, or 6b yes (urgent flag suicide_risk_high). Moderate: 3 yes, or 6 yes more than 3 months ago (warning suicide_risk_moderate). Low: only 1 or 2 yes. Negative: all no.",
        total_range: None,
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

/// Every instrument this build knows, in catalogue order.
pub static CATALOGUE: LazyLock<Vec<Instrument>> = LazyLock::new(|| {
    vec![
        phq9(),
        gad7(),
        pc_ptsd5(),
        pcl5(),
        asq(),
        pain_nrs(),
        peg(),
        fm2016(),
        crps_budapest(),
        dn4(),
        cssrs(),
    ]
});

pub fn find(code: &str) -> Option<&'static Instrument> {
    CATALOGUE.iter().find(|i| i.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_matches_the_configured_codes() {
        let codes: Vec<&str> = CATALOGUE.iter().map(|i| i.code).collect();
        assert_eq!(codes, crate::config::ALL_INSTRUMENTS.to_vec());
        for code in crate::config::DEFAULT_INSTRUMENTS {
            assert!(
                !find(code).unwrap().restricted,
                "{code} is on by default but restricted"
            );
        }
        assert!(find("dn4").unwrap().restricted && find("cssrs_screen").unwrap().restricted);
    }

    #[test]
    fn every_item_has_text_in_both_languages_and_unique_ids() {
        for i in CATALOGUE.iter() {
            let mut ids: Vec<&str> = i.items.iter().map(|it| it.id).collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n, "{} has duplicate item ids", i.code);
            for it in &i.items {
                assert!(!it.text.en.is_empty() && !it.text.es.is_empty(), "{}.{}", i.code, it.id);
                for o in &it.options {
                    assert!(!o.label.en.is_empty() && !o.label.es.is_empty(), "{}.{}", i.code, it.id);
                }
            }
        }
        assert_eq!(find("phq9").unwrap().items.len(), 10);
        assert_eq!(find("pcl5").unwrap().items.len(), 20);
        assert_eq!(find("fm2016").unwrap().items[0].options.len(), 19);
    }
}
