//! One module per instrument, each holding its definition (items, options, texts in English and
//! Spanish, licence, version) and its scoring side by side, so a rule and the question it reads
//! are read together. [`InstrumentCode`] names them; [`InstrumentCode::module`] is the one
//! place a code is dispatched to its module.

pub mod asq;
pub mod code;
pub mod common;
pub mod crps_budapest;
pub mod cssrs_screen;
pub mod dn4;
pub mod fm2016;
pub mod form;
pub mod gad7;
pub mod ketamine_side_effects;
pub mod pain_nrs;
pub mod pc_ptsd5;
pub mod pcl5;
pub mod peg;
pub mod pgic;
pub mod phq9;

pub use self::code::InstrumentCode;
pub use self::common::Module;
pub use self::form::VERSION;

impl InstrumentCode {
    /// The module that defines and scores this instrument.
    pub fn module(self) -> &'static Module {
        match self {
            InstrumentCode::Phq9 => &phq9::MODULE,
            InstrumentCode::Gad7 => &gad7::MODULE,
            InstrumentCode::PcPtsd5 => &pc_ptsd5::MODULE,
            InstrumentCode::Pcl5 => &pcl5::MODULE,
            InstrumentCode::Asq => &asq::MODULE,
            InstrumentCode::PainNrs => &pain_nrs::MODULE,
            InstrumentCode::Peg => &peg::MODULE,
            InstrumentCode::Fm2016 => &fm2016::MODULE,
            InstrumentCode::CrpsBudapest => &crps_budapest::MODULE,
            InstrumentCode::Dn4 => &dn4::MODULE,
            InstrumentCode::CssrsScreen => &cssrs_screen::MODULE,
            InstrumentCode::Pgic => &pgic::MODULE,
            InstrumentCode::KetamineSideEffects => &ketamine_side_effects::MODULE,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn codes_round_trip_and_order_as_text() {
        for code in InstrumentCode::ALL {
            assert_eq!(InstrumentCode::parse(code.as_str()), Some(code));
            assert_eq!(serde_json::to_value(code).unwrap(), Value::String(code.as_str().into()));
            assert_eq!((code.module().definition)().code, code, "{code} defines another code");
        }
        assert_eq!(InstrumentCode::parse("bdi2"), None);
        let mut sorted = InstrumentCode::ALL.to_vec();
        sorted.sort();
        let text: Vec<&str> = sorted.iter().map(|c| c.as_str()).collect();
        let mut expected = text.clone();
        expected.sort_unstable();
        assert_eq!(text, expected);
    }
}
