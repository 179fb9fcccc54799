//! The code systems and canonical bases the FHIR resources we write and read name.

// Our own code systems, for concepts without a standard code.
pub const SYSTEM_FLAG: &str = "https://intake.example.org/fhir/CodeSystem/safety-flag";
pub const SYSTEM_SCORE: &str = "https://intake.example.org/fhir/CodeSystem/score";
/// Our Questionnaires' canonical urls start here (`…/Questionnaire/phq9`).
pub const QUESTIONNAIRE_BASE: &str = "https://intake.example.org/fhir/Questionnaire";
pub const LOINC: &str = "http://loinc.org";
pub const SNOMED: &str = "http://snomed.info/sct";
