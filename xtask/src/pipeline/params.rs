//! Stage parameters: a corpus's `pipeline.toml`, a preset from it, and `--set stage.key=value`
//! overrides, merged in that order and turned into the stage binary's flags.
//!
//! ```toml
//! [tokenize]
//! level = "char"
//! [train]
//! preset = "cpu"
//! time_budget = "8m"
//! [presets.seed.train]      # cargo xtask pipeline --preset seed
//! preset = "seed"
//! [on.cpu.train]            # applies by itself on a machine without a GPU
//! time_budget = "1h"
//! ```
//! A key is one of the stage binary's flags with `_` for `-`; a value is a string, number,
//! boolean or array (joined with commas). The order of precedence, lowest first: the stage tables,
//! the `[on.cpu]` or `[on.cuda]` tables of the machine's device ([`Device::detect`]), the preset,
//! the overrides. A key becomes `--key=value`, or the bare switch `--key`
//! for `true`. The stage binary validates the values and records the resolved parameters in its
//! manifest.

use super::Stage;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::Path;
use toml::Value;

/// The per-corpus parameter file.
pub(crate) const PIPELINE_FILE: &str = "pipeline.toml";

/// Parameters for a corpus folder that has no `pipeline.toml`: word-level tokens (what most
/// prose wants) and a CPU model trained for ten minutes.
const BUILT_IN: &str = r#"
[tokenize]
level = "word"
[train]
preset = "cpu"
time_budget = "10m"
"#;

/// Flag name (with `_`) → value, for one stage.
type Table = BTreeMap<String, Value>;

/// Parameters of all four stages.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StageParams {
    tables: BTreeMap<Stage, Table>,
}

impl StageParams {
    /// The stage's parameters as flags for its binary, in key order.
    pub(crate) fn flags(&self, stage: Stage) -> Vec<String> {
        self.tables
            .get(&stage)
            .into_iter()
            .flatten()
            .map(|(key, value)| {
                let flag = format!("--{}", key.replace('_', "-"));
                match value {
                    // A bare switch turns it on, whether the binary's flag takes a value or not.
                    Value::Boolean(true) => flag,
                    _ => format!("{flag}={}", flag_value(value)),
                }
            })
            .collect()
    }

    fn set(&mut self, stage: Stage, key: String, value: Value) {
        self.tables.entry(stage).or_default().insert(key, value);
    }

    /// Overwrites this set's values with those of `other`, key by key.
    fn merge(&mut self, other: &StageParams) {
        for (stage, table) in &other.tables {
            for (key, value) in table {
                self.set(*stage, key.clone(), value.clone());
            }
        }
    }
}

/// The kind of machine a run is on, for the `[on.DEVICE]` tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Device {
    Cpu,
    Cuda,
}

impl Device {
    /// CUDA when `nvidia-smi` lists a GPU (xtask does not load libtorch; the stages' own
    /// `--device auto` asks libtorch), the CPU otherwise.
    pub(crate) fn detect() -> Device {
        let listed = std::process::Command::new("nvidia-smi")
            .arg("-L")
            .output()
            .is_ok_and(|out| {
                out.status.success() && String::from_utf8_lossy(&out.stdout).contains("GPU")
            });
        if listed { Device::Cuda } else { Device::Cpu }
    }

    fn from_name(name: &str) -> Option<Device> {
        match name {
            "cpu" => Some(Device::Cpu),
            "cuda" => Some(Device::Cuda),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        }
    }
}

/// A corpus's `pipeline.toml` (or the built-in parameters when it has none).
#[derive(Debug)]
pub(crate) struct PipelineFile {
    /// Where the parameters came from, for messages.
    pub(crate) source: String,
    /// Whether the corpus has no `pipeline.toml` and the built-in parameters apply.
    pub(crate) built_in: bool,
    stages: StageParams,
    presets: BTreeMap<String, StageParams>,
    /// `[on.cpu]`, `[on.cuda]`: what applies on a machine of that kind.
    on_device: BTreeMap<Device, StageParams>,
}

impl PipelineFile {
    /// Reads `<corpus>/pipeline.toml`, or falls back to the built-in parameters.
    pub(crate) fn load(corpus_dir: &Path) -> Result<Self> {
        let path = corpus_dir.join(PIPELINE_FILE);
        if !path.is_file() {
            let mut file = Self::parse(BUILT_IN, "the built-in parameters")?;
            file.built_in = true;
            return Ok(file);
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    fn parse(text: &str, source: &str) -> Result<Self> {
        let doc: toml::Table = text
            .parse()
            .with_context(|| format!("{source} is not valid TOML"))?;
        let mut file = PipelineFile {
            source: source.to_owned(),
            built_in: false,
            stages: StageParams::default(),
            presets: BTreeMap::new(),
            on_device: BTreeMap::new(),
        };
        for (key, value) in doc {
            if key == "presets" {
                let Value::Table(presets) = value else {
                    bail!("{source}: `presets` must be a table of [presets.NAME.STAGE] tables");
                };
                for (name, preset) in presets {
                    let params = stage_tables(&preset, source, &format!("presets.{name}."))?;
                    file.presets.insert(name, params);
                }
            } else if key == "on" {
                let Value::Table(devices) = value else {
                    bail!(
                        "{source}: `on` must be a table of [on.cpu.STAGE] or [on.cuda.STAGE] tables"
                    );
                };
                for (name, tables) in devices {
                    let device = Device::from_name(&name).with_context(|| {
                        format!(
                            "{source}: unknown device [on.{name}]; the devices are cpu and cuda"
                        )
                    })?;
                    let params = stage_tables(&tables, source, &format!("on.{name}."))?;
                    file.on_device.insert(device, params);
                }
            } else if key == "description" {
                // Free text for people reading the file.
            } else {
                let single = toml::Table::from_iter([(key, value)]);
                file.stages
                    .merge(&stage_tables(&Value::Table(single), source, "")?);
            }
        }
        Ok(file)
    }

    /// Whether the file has an `[on.DEVICE]` table for `device`.
    pub(crate) fn has_device_table(&self, device: Device) -> bool {
        self.on_device.contains_key(&device)
    }

    /// The parameters on `device` after applying `preset` (a name under `[presets]`) and the
    /// overrides.
    pub(crate) fn resolve(
        &self,
        device: Device,
        preset: Option<&str>,
        overrides: &[Override],
    ) -> Result<StageParams> {
        let mut params = self.stages.clone();
        if let Some(on_device) = self.on_device.get(&device) {
            params.merge(on_device);
        }
        if let Some(name) = preset {
            let Some(preset) = self.presets.get(name) else {
                let known: Vec<&str> = self.presets.keys().map(String::as_str).collect();
                bail!(
                    "no preset `{name}` in {}; presets there: {}",
                    self.source,
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
            };
            params.merge(preset);
        }
        for o in overrides {
            params.set(o.stage, o.key.clone(), o.value.clone());
        }
        Ok(params)
    }
}

/// Reads `{clean = {...}, train = {...}}` into stage parameters; `prefix` places errors.
fn stage_tables(value: &Value, source: &str, prefix: &str) -> Result<StageParams> {
    let Value::Table(table) = value else {
        bail!("{source}: `{prefix}` must be a table of stage tables");
    };
    let mut params = StageParams::default();
    for (stage_name, entries) in table {
        let stage = Stage::from_name(stage_name).with_context(|| {
            format!(
                "{source}: unknown section [{prefix}{stage_name}]; the stages are {}",
                Stage::names()
            )
        })?;
        let Value::Table(entries) = entries else {
            bail!("{source}: `{prefix}{stage_name}` must be a table ([{prefix}{stage_name}])");
        };
        for (key, value) in entries {
            check_value(value)
                .with_context(|| format!("{source}: [{prefix}{stage_name}] {key}"))?;
            params.set(stage, key.clone(), value.clone());
        }
    }
    Ok(params)
}

/// Values a flag can take: scalars and arrays of scalars.
fn check_value(value: &Value) -> Result<()> {
    match value {
        Value::String(_) | Value::Integer(_) | Value::Float(_) | Value::Boolean(_) => Ok(()),
        Value::Array(items) if items.iter().all(|v| !v.is_array() && !v.is_table()) => Ok(()),
        _ => bail!("must be a string, number, boolean or array of those"),
    }
}

fn flag_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(flag_value).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// One `--set stage.key=value` (or `key=value` where the stage is implied).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Override {
    pub(crate) stage: Stage,
    pub(crate) key: String,
    pub(crate) value: Value,
}

impl Override {
    /// Parses `stage.key=value`; with `implied`, `key=value` is accepted too. The value is read
    /// as TOML when it parses as a TOML value (`0.003`, `true`, `[500, 2000]`), else as text.
    pub(crate) fn parse(text: &str, implied: Option<Stage>) -> Result<Self> {
        let usage = || {
            format!(
                "`--set {text}`: expected STAGE.KEY=VALUE, e.g. `--set train.lr=0.003` (stages: {})",
                Stage::names()
            )
        };
        let (path, raw) = text.split_once('=').with_context(usage)?;
        let (stage, key) = match (path.split_once('.'), implied) {
            (Some((stage, key)), _) if Stage::from_name(stage).is_some() => {
                (Stage::from_name(stage).expect("checked"), key)
            }
            (None, Some(stage)) => (stage, path),
            _ => bail!(usage()),
        };
        let key = key.trim().replace('-', "_");
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!(usage());
        }
        let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| Value::String(raw.to_owned()));
        Ok(Override { stage, key, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SONGCI: &str = r#"
description = "Song ci"
[tokenize]
level = "char"
[train]
preset = "cpu"
time_budget = "8m"
cutoffs = [500, 2000]
[generate]
num_samples = 5
[presets.seed.train]
preset = "seed"
tie_weights = true
"#;

    fn over(text: &str) -> Override {
        Override::parse(text, None).unwrap()
    }

    #[test]
    fn file_preset_and_overrides_merge_in_that_order() {
        let file = PipelineFile::parse(SONGCI, "songci/pipeline.toml").unwrap();
        let plain = file.resolve(Device::Cpu, None, &[]).unwrap();
        assert_eq!(
            plain.flags(Stage::Train),
            ["--cutoffs=500,2000", "--preset=cpu", "--time-budget=8m"]
        );
        assert_eq!(plain.flags(Stage::Clean), Vec::<String>::new());
        let seed = file
            .resolve(
                Device::Cpu,
                Some("seed"),
                &[over("train.lr=0.003"), over("train.preset=cpu")],
            )
            .unwrap();
        assert_eq!(
            seed.flags(Stage::Train),
            [
                "--cutoffs=500,2000",
                "--lr=0.003",
                "--preset=cpu",
                "--tie-weights",
                "--time-budget=8m"
            ]
        );
        assert_eq!(seed.flags(Stage::Generate), ["--num-samples=5"]);
    }

    #[test]
    fn the_table_of_the_machines_device_applies_below_presets_and_overrides() {
        let text = r#"
[train]
preset = "seed"
[on.cpu.train]
preset = "cpu"
time_budget = "1h"
[presets.long.train]
time_budget = "3h"
"#;
        let file = PipelineFile::parse(text, "jinyong/pipeline.toml").unwrap();
        assert!(file.has_device_table(Device::Cpu) && !file.has_device_table(Device::Cuda));
        let gpu = file.resolve(Device::Cuda, None, &[]).unwrap();
        assert_eq!(gpu.flags(Stage::Train), ["--preset=seed"]);
        let cpu = file.resolve(Device::Cpu, None, &[]).unwrap();
        assert_eq!(
            cpu.flags(Stage::Train),
            ["--preset=cpu", "--time-budget=1h"]
        );
        let long = file
            .resolve(Device::Cpu, Some("long"), &[over("train.preset=seed")])
            .unwrap();
        assert_eq!(
            long.flags(Stage::Train),
            ["--preset=seed", "--time-budget=3h"]
        );
        let err = PipelineFile::parse("[on.tpu.train]\nlr = 1\n", "x/pipeline.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[on.tpu]") && err.contains("cpu and cuda"),
            "{err}"
        );
    }

    #[test]
    fn unknown_preset_lists_the_known_ones() {
        let file = PipelineFile::parse(SONGCI, "songci/pipeline.toml").unwrap();
        let err = file
            .resolve(Device::Cpu, Some("gpu"), &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no preset `gpu` in songci/pipeline.toml"),
            "{err}"
        );
        assert!(err.contains("presets there: seed"), "{err}");
    }

    #[test]
    fn bad_files_name_the_file_and_the_place() {
        let err = PipelineFile::parse("[trian]\nlr = 1", "x/pipeline.toml").unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains("x/pipeline.toml: unknown section [trian]"),
            "{err}"
        );
        assert!(err.contains("clean, tokenize, train, generate"), "{err}");
        let err = PipelineFile::parse("[train]\nlr = { a = 1 }", "x/pipeline.toml").unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains("[train] lr: must be a string, number"),
            "{err}"
        );
        let err = PipelineFile::parse("[train\n", "x/pipeline.toml").unwrap_err();
        assert!(format!("{err:#}").contains("x/pipeline.toml is not valid TOML"));
    }

    #[test]
    fn overrides_read_toml_values_or_text() {
        assert_eq!(over("train.lr=0.003").value, Value::Float(0.003));
        assert_eq!(over("train.tie-weights=false").key, "tie_weights");
        assert_eq!(over("train.tie-weights=false").value, Value::Boolean(false));
        assert_eq!(
            over("generate.prompt=令狐冲").value,
            Value::String("令狐冲".into())
        );
        assert_eq!(over("generate.stop=a=b").value, Value::String("a=b".into()));
        let implied = Override::parse("hidden_size=512", Some(Stage::Train)).unwrap();
        assert_eq!(
            (implied.stage, implied.value),
            (Stage::Train, Value::Integer(512))
        );
        for bad in ["train.lr", "lr=1", "trian.lr=1", "train.=1", "train.a b=1"] {
            let err = Override::parse(bad, None).unwrap_err().to_string();
            assert!(err.contains("expected STAGE.KEY=VALUE"), "{bad}: {err}");
        }
    }

    #[test]
    fn built_in_parameters_parse() {
        let file = PipelineFile::parse(BUILT_IN, "the built-in parameters").unwrap();
        let params = file.resolve(Device::Cpu, None, &[]).unwrap();
        assert_eq!(params.flags(Stage::Tokenize), ["--level=word"]);
    }
}
