//! The stages' parameter contracts as the orchestrator uses them. Each stage crate exports its
//! flags as one type (`CleanConfig`, `TokenizeConfig`, `TrainConfig`, `GenerateConfig`): the
//! clap arguments of its binary, whose serialised form is the stage's table in `pipeline.toml`
//! (one key per flag, written as on the command line). Here a table is read into that type
//! ([`from_table`]: unknown keys and values of the wrong type refused, naming the key and the
//! accepted keys), checked as far as it can be before the stage runs ([`StageContract::check`]),
//! and turned back into the binary's flags ([`to_flags`]), so that the flags a binary gets are
//! always ones its parser accepts.

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Debug;

/// A stage's flags as one typed value.
pub(crate) trait StageContract:
    Serialize + DeserializeOwned + Default + clap::Args + Debug + PartialEq
{
    /// The checks of the values that need no input data (ranges, flags that contradict each
    /// other); the stage repeats them and adds those that need its input.
    fn check(&self) -> Result<()>;
}

impl StageContract for clean::CleanConfig {
    /// Nothing to check before the run: the rules file is read (and checked) by the stage.
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

impl StageContract for tokenize::TokenizeConfig {
    fn check(&self) -> Result<()> {
        Ok(self.validate()?)
    }
}

impl StageContract for train::TrainConfig {
    fn check(&self) -> Result<()> {
        Ok(self.check_before_vocab()?)
    }
}

impl StageContract for generate::GenerateConfig {
    fn check(&self) -> Result<()> {
        Ok(self.validate()?)
    }
}

/// The keys a stage's table accepts: the fields of its serialised flags, in order.
pub(crate) fn keys<T: StageContract>() -> Vec<String> {
    match serde_json::to_value(T::default()) {
        Ok(Value::Object(fields)) => fields.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Reads a stage's table (key → TOML value) into its flags; a key not in the table keeps the
/// binary's default. The error names the key that is unknown (with the accepted keys) or whose
/// value does not fit.
pub(crate) fn from_table<T: StageContract>(table: &BTreeMap<String, toml::Value>) -> Result<T> {
    let Value::Object(mut fields) = serde_json::to_value(T::default())? else {
        bail!("the stage's flags do not serialise as a table");
    };
    for (key, value) in table {
        if !fields.contains_key(key) {
            bail!(
                "unknown key `{key}`; the keys are {}",
                keys::<T>().join(", ")
            );
        }
        let value = serde_json::to_value(value)?;
        // Key by key, so that a value of the wrong type is named.
        let mut one = serde_json::to_value(T::default())?;
        one[key.as_str()] = value.clone();
        serde_json::from_value::<T>(one).with_context(|| format!("{key} = {value}"))?;
        fields.insert(key.clone(), value);
    }
    Ok(serde_json::from_value(Value::Object(fields))?)
}

/// The flags that give the binary `config`: one per value that differs from the binary's
/// default, as `--key=value` (lists joined with commas, `--key` for a switch turned on,
/// `--key=false` for one turned off), in key order.
pub(crate) fn to_flags<T: StageContract>(config: &T) -> Result<Vec<String>> {
    let (Value::Object(values), Value::Object(defaults)) = (
        serde_json::to_value(config)?,
        serde_json::to_value(T::default())?,
    ) else {
        bail!("the stage's flags do not serialise as a table");
    };
    let mut flags = Vec::new();
    for (key, value) in values {
        if defaults.get(&key) == Some(&value) {
            continue;
        }
        let flag = format!("--{}", key.replace('_', "-"));
        let text = match &value {
            Value::Bool(true) => {
                flags.push(flag);
                continue;
            }
            Value::Array(items) => items
                .iter()
                .map(flag_text)
                .collect::<Result<Vec<_>>>()?
                .join(","),
            other => flag_text(other)?,
        };
        flags.push(format!("{flag}={text}"));
    }
    Ok(flags)
}

/// A scalar as the command line writes it.
fn flag_text(value: &Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => bail!("{other} has no command-line form"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::PathBuf;

    /// A stage binary's parser around its flags.
    #[derive(Parser, Debug)]
    struct Binary<T: clap::Args> {
        #[command(flatten)]
        config: T,
    }

    /// Parses `flags` as the stage binary would.
    fn parse<T: StageContract>(flags: &[String]) -> T {
        let args = std::iter::once("stage".to_owned()).chain(flags.iter().cloned());
        match Binary::<T>::try_parse_from(args) {
            Ok(binary) => binary.config,
            Err(e) => panic!("the binary refuses {flags:?}: {e}"),
        }
    }

    /// Each config → flags → the binary's parser gives it back; together the configs set every
    /// key to something other than its default, so every key is covered.
    fn round_trip<T: StageContract>(configs: &[T]) {
        let Value::Object(defaults) = serde_json::to_value(T::default()).unwrap() else {
            panic!("not a table");
        };
        let mut unset: Vec<String> = keys::<T>();
        for config in configs {
            let values = serde_json::to_value(config).unwrap();
            unset.retain(|k| values[k.as_str()] == defaults[k.as_str()]);
            let flags = to_flags(config).unwrap();
            assert_eq!(&parse::<T>(&flags), config, "{flags:?}");
        }
        assert!(unset.is_empty(), "set these keys too: {unset:?}");
        assert_eq!(parse::<T>(&[]), T::default(), "the default is the binary's");
        assert!(to_flags(&T::default()).unwrap().is_empty());
    }

    #[test]
    fn every_clean_key_reaches_the_binary() {
        use clean::{Lacunae, RuleSwitches};
        round_trip(&[clean::CleanConfig {
            switches: RuleSwitches {
                site_adverts: false,
                glued_credits: false,
                mail_headers: false,
                banners: false,
                garbage_lines: false,
                lacunae: Lacunae::drop_paragraph(),
                drop_chapter_headings: true,
                drop_tables_of_contents: true,
            },
            rules: Some(PathBuf::from("my rules.txt")),
            convert: clean::Conversion::T2s,
        }]);
    }

    #[test]
    fn every_tokenize_key_reaches_the_binary() {
        round_trip(&[tokenize::TokenizeConfig {
            level: tokenize::Level::Char,
            user_dict: Some(PathBuf::from("names.txt")),
            min_freq: 5,
            max_vocab: Some(40_000),
            split: tokenize::Split {
                train: 80,
                valid: 10,
                test: 10,
            },
            titles: true,
        }]);
    }

    #[test]
    fn every_train_key_reaches_the_binary() {
        use train::{OutputArg, Preset, ScheduleArg};
        round_trip(&[train::TrainConfig {
            preset: Preset::Seed,
            embed_dim: Some(64),
            hidden_size: Some(128),
            num_layers: Some(1),
            dropout: Some(0.25),
            locked_dropout: true,
            embed_dropout: Some(0.1),
            weight_drop: Some(0.2),
            tie_weights: true,
            output_layer: Some(OutputArg::Adaptive),
            cutoffs: Some(vec![500, 2000]),
            div_value: Some(2.5),
            epochs: Some(3),
            max_steps: Some(50),
            time_budget: Some(5400.0),
            batch_size: Some(32),
            seq_len: Some(24),
            lr: Some(0.003),
            schedule: ScheduleArg::Cosine,
            lr_decay: Some(0.25),
            warmup: Some(0.05),
            clip: Some(0.5),
            ngram_order: 3,
            seed: 7,
            eval_every: Some(25),
            patience: Some(5),
            threads: Some(2),
            checkpoint_every: 90.0,
            device: "cpu".into(),
            resume: Some(PathBuf::from("artifacts/x/train/.resume-1")),
            init_from: Some(PathBuf::from("artifacts/shi")),
            freeze_embedding: true,
            quiet: true,
        }]);
    }

    #[test]
    fn every_generate_key_reaches_the_binary() {
        let names = generate::GenerateConfig {
            prompt: "-令狐冲".into(),
            temperature: 0.5,
            top_k: Some(40),
            top_p: Some(0.9),
            repetition_penalty: 1.2,
            no_repeat_ngram: Some(3),
            allow_unk: true,
            beam: Some(4),
            max_tokens: 60,
            paragraphs: Some(2),
            stop: Some("。".into()),
            num_samples: 3,
            seed: 1,
            names: true,
            no_names: false,
            novel: true,
            unique: true,
            no_mixture: true,
            device: "cuda:1".into(),
            form: vec![],
            acrostic: None,
            rhyme: false,
        };
        // --names and --no-names conflict in the parser: one config each.
        let text = generate::GenerateConfig {
            no_names: true,
            ..generate::GenerateConfig::default()
        };
        // --form goes without --prompt, --stop and --names: a config of its own.
        let forms = generate::GenerateConfig {
            form: vec!["浣溪沙".into(), "菩萨蛮".into()],
            acrostic: Some("春江".into()),
            rhyme: true,
            ..generate::GenerateConfig::default()
        };
        round_trip(&[names, text, forms]);
    }

    fn table(text: &str) -> BTreeMap<String, toml::Value> {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn tables_read_as_the_command_line_writes_values() {
        let train: train::TrainConfig = from_table(&table(
            "time_budget = \"8m\"\nlr = 1\ncutoffs = [500, 2000]",
        ))
        .unwrap();
        assert_eq!(train.time_budget, Some(480.0));
        assert_eq!(train.lr, Some(1.0));
        assert_eq!(
            to_flags(&train).unwrap(),
            ["--cutoffs=500,2000", "--lr=1.0", "--time-budget=8m"]
        );
        let tokenize: tokenize::TokenizeConfig =
            from_table(&table("split = \"80/10/10\"")).unwrap();
        assert_eq!(tokenize.split.train, 80);
        let clean: clean::CleanConfig =
            from_table(&table("lacunae = \"drop-paragraph\"\nbanners = false")).unwrap();
        assert_eq!(
            to_flags(&clean).unwrap(),
            ["--banners=false", "--lacunae=drop-paragraph:500"]
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_named() {
        let err = from_table::<generate::GenerateConfig>(&table("num_sample = 5"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("unknown key `num_sample`; the keys are "),
            "{err}"
        );
        assert!(
            err.contains("num_samples") && err.contains("top_p"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            from_table::<train::TrainConfig>(&table("lr = \"fast\"")).unwrap_err()
        );
        assert!(
            err.starts_with("lr = \"fast\": invalid type: string"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            from_table::<train::TrainConfig>(&table("time_budget = \"soon\"")).unwrap_err()
        );
        assert!(err.contains("write e.g. 90s, 20m or 1h 30m"), "{err}");
    }
}
