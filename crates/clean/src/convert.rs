//! Script conversion (`--convert t2s`): traditional characters to simplified, through OpenCC's
//! `t2s` dictionaries (phrases first, then single characters), so that a corpus kept in
//! traditional characters (chinese-poetry's Tang and Song shi) shares its vocabulary with one in
//! simplified characters (its Song ci). It runs on each line right after whitespace
//! normalisation, before the removal rules, whose patterns are written in simplified characters.

use crate::error::CleanError;
use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Which script conversion clean applies.
#[derive(clap::ValueEnum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Conversion {
    /// Leave the characters as they are.
    #[default]
    None,
    /// Traditional Chinese to simplified (OpenCC `t2s`).
    T2s,
}

impl Conversion {
    pub fn is_none(&self) -> bool {
        *self == Self::None
    }
}

impl fmt::Display for Conversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::T2s => "t2s",
        })
    }
}

/// A loaded converter; cheap to clone (the dictionaries are shared).
#[derive(Clone)]
pub struct Converter {
    conversion: Conversion,
    opencc: Arc<OpenCC>,
}

impl fmt::Debug for Converter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Converter({})", self.conversion)
    }
}

/// A converted line and how many of its characters changed.
pub struct Converted {
    pub line: String,
    pub changed_chars: u64,
}

impl Converter {
    /// The converter for `conversion`; `None` for [`Conversion::None`].
    pub fn load(conversion: Conversion) -> Result<Option<Self>, CleanError> {
        let config = match conversion {
            Conversion::None => return Ok(None),
            Conversion::T2s => BuiltinConfig::T2s,
        };
        let opencc = OpenCC::from_config(config).map_err(|e| CleanError::Converter {
            conversion: conversion.to_string(),
            message: e.to_string(),
        })?;
        Ok(Some(Self {
            conversion,
            opencc: Arc::new(opencc),
        }))
    }

    pub fn conversion(&self) -> Conversion {
        self.conversion
    }

    /// Converts one line; `None` when nothing in it changed.
    pub fn convert(&self, line: &str) -> Option<Converted> {
        let converted = self.opencc.convert(line);
        if converted == line {
            return None;
        }
        // t2s maps almost everything character for character; a phrase that maps to one of
        // another length counts its extra characters as changed too.
        let (before, after) = (line.chars().count(), converted.chars().count());
        let differing = line
            .chars()
            .zip(converted.chars())
            .filter(|(a, b)| a != b)
            .count();
        Some(Converted {
            changed_chars: (differing + before.abs_diff(after)) as u64,
            line: converted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_lines_become_simplified_and_simplified_ones_stay() {
        let t2s = Converter::load(Conversion::T2s).unwrap().unwrap();
        for (traditional, simplified, changed) in [
            ("床前明月光，疑是地上霜。", None, 0),
            (
                "秦川雄帝宅，函谷壯皇居。",
                Some("秦川雄帝宅，函谷壮皇居。"),
                1,
            ),
            (
                "綺殿千尋起，離宮百雉餘。",
                Some("绮殿千寻起，离宫百雉余。"),
                5,
            ),
            (
                "雲日隱層闕，風煙出綺疎。",
                Some("云日隐层阙，风烟出绮疎。"),
                7,
            ),
            ("靜夜思", Some("静夜思"), 1),
        ] {
            match t2s.convert(traditional) {
                None => assert_eq!(simplified, None, "{traditional} was left as it is"),
                Some(c) => {
                    assert_eq!(Some(c.line.as_str()), simplified, "{traditional}");
                    assert_eq!(c.changed_chars, changed, "{traditional}");
                }
            }
        }
        assert!(Converter::load(Conversion::None).unwrap().is_none());
    }
}
