//! Instrument codes: what the wire, the settings and storage call each instrument.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instrument this build knows (CLINICAL.md catalogue v1). On the wire and in storage it is
/// its code, e.g. `phq9`; codes order as text, so maps keyed by code keep the order they had
/// when they were keyed by the code's string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstrumentCode {
    Phq9,
    Gad7,
    PcPtsd5,
    Pcl5,
    Asq,
    PainNrs,
    Peg,
    Fm2016,
    CrpsBudapest,
    Dn4,
    CssrsScreen,
    Pgic,
    KetamineSideEffects,
}

impl InstrumentCode {
    /// Every instrument, in catalogue order.
    pub const ALL: [InstrumentCode; 13] = [
        InstrumentCode::Phq9,
        InstrumentCode::Gad7,
        InstrumentCode::PcPtsd5,
        InstrumentCode::Pcl5,
        InstrumentCode::Asq,
        InstrumentCode::PainNrs,
        InstrumentCode::Peg,
        InstrumentCode::Fm2016,
        InstrumentCode::CrpsBudapest,
        InstrumentCode::Dn4,
        InstrumentCode::CssrsScreen,
        InstrumentCode::Pgic,
        InstrumentCode::KetamineSideEffects,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InstrumentCode::Phq9 => "phq9",
            InstrumentCode::Gad7 => "gad7",
            InstrumentCode::PcPtsd5 => "pc_ptsd5",
            InstrumentCode::Pcl5 => "pcl5",
            InstrumentCode::Asq => "asq",
            InstrumentCode::PainNrs => "pain_nrs",
            InstrumentCode::Peg => "peg",
            InstrumentCode::Fm2016 => "fm2016",
            InstrumentCode::CrpsBudapest => "crps_budapest",
            InstrumentCode::Dn4 => "dn4",
            InstrumentCode::CssrsScreen => "cssrs_screen",
            InstrumentCode::Pgic => "pgic",
            InstrumentCode::KetamineSideEffects => "ketamine_side_effects",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for InstrumentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Ord for InstrumentCode {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for InstrumentCode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for InstrumentCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for InstrumentCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        InstrumentCode::parse(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown instrument {code:?}")))
    }
}
