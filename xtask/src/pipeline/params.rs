//! Stage parameters: a corpus's `pipeline.toml`, a preset from it, and `--set stage.key=value`
//! overrides, merged in that order, read into each stage's typed flags and checked before any
//! stage runs.
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
//! A key is one of the stage binary's flags with `_` for `-`, its value written as the flag's
//! (a string, number, boolean, or an array for a list). The order of precedence, lowest first:
//! the stage tables, the `[on.cpu]` or `[on.cuda]` tables of the machine's device
//! ([`Device::detect`]), the preset, the overrides. Each table and override is read into the
//! stage's flags type where it is read ([`super::contract::from_table`]), so that an unknown key
//! or a value of the wrong type is refused naming the file (or the `--set`), the table and the
//! key; the merged values are then checked as far as they can be without the stages' input
//! ([`super::contract::StageContract::check`]) and turned into the binary's flags
//! ([`super::contract::to_flags`]). The stage binary checks them again with its input and
//! records the resolved parameters in its manifest.

use super::Stage;
use super::contract::{StageContract, from_table, to_flags};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
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

/// Parameters of all four stages as written, before they are merged and read into each stage's
/// flags.
#[derive(Debug, Clone, Default, PartialEq)]
struct StageTables {
    tables: BTreeMap<Stage, Table>,
}

impl StageTables {
    fn set(&mut self, stage: Stage, key: String, value: Value) {
        self.tables.entry(stage).or_default().insert(key, value);
    }

    /// Overwrites this set's values with those of `other`, key by key.
    fn merge(&mut self, other: &StageTables) {
        for (stage, table) in &other.tables {
            for (key, value) in table {
                self.set(*stage, key.clone(), value.clone());
            }
        }
    }

    fn table(&self, stage: Stage) -> Table {
        self.tables.get(&stage).cloned().unwrap_or_default()
    }
}

/// The four stages' flags, read from the merged tables and checked: what each binary gets.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StageParams {
    pub(crate) clean: clean::CleanConfig,
    pub(crate) tokenize: tokenize::TokenizeConfig,
    pub(crate) train: train::TrainConfig,
    pub(crate) generate: generate::GenerateConfig,
    /// Each stage's values as its binary's flags ([`to_flags`]), made once they are checked.
    flags: BTreeMap<Stage, Vec<String>>,
}

impl StageParams {
    /// Reads and checks the merged tables; `origin` says where they came from, for messages.
    fn read(tables: &StageTables, origin: &str) -> Result<StageParams> {
        fn typed<T: StageContract>(
            tables: &StageTables,
            stage: Stage,
            origin: &str,
            flags: &mut BTreeMap<Stage, Vec<String>>,
        ) -> Result<T> {
            let place = || format!("{origin}: [{}]", stage.name());
            let config: T = from_table(&tables.table(stage)).with_context(place)?;
            config.check().with_context(place)?;
            flags.insert(stage, to_flags(&config).with_context(place)?);
            Ok(config)
        }
        let mut flags = BTreeMap::new();
        Ok(StageParams {
            clean: typed(tables, Stage::Clean, origin, &mut flags)?,
            tokenize: typed(tables, Stage::Tokenize, origin, &mut flags)?,
            train: typed(tables, Stage::Train, origin, &mut flags)?,
            generate: typed(tables, Stage::Generate, origin, &mut flags)?,
            flags,
        })
    }

    /// Points train's `init_from` at `path` (what a corpus name there resolved to).
    pub(crate) fn set_init_from(&mut self, path: PathBuf) -> Result<()> {
        self.train.init_from = Some(path);
        self.flags.insert(Stage::Train, to_flags(&self.train)?);
        Ok(())
    }

    /// The stage's parameters as flags for its binary, in key order: one per value that
    /// differs from the binary's default.
    pub(crate) fn flags(&self, stage: Stage) -> Vec<String> {
        self.flags.get(&stage).cloned().unwrap_or_default()
    }
}

/// Checks one table of `stage` as read (its keys and the types of its values).
fn check_table(stage: Stage, table: &Table) -> Result<()> {
    match stage {
        Stage::Clean => from_table::<clean::CleanConfig>(table).map(drop),
        Stage::Tokenize => from_table::<tokenize::TokenizeConfig>(table).map(drop),
        Stage::Train => from_table::<train::TrainConfig>(table).map(drop),
        Stage::Generate => from_table::<generate::GenerateConfig>(table).map(drop),
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
    stages: StageTables,
    presets: BTreeMap<String, StageTables>,
    /// `[on.cpu]`, `[on.cuda]`: what applies on a machine of that kind.
    on_device: BTreeMap<Device, StageTables>,
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
            stages: StageTables::default(),
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
    /// overrides, read into each stage's flags and checked.
    pub(crate) fn resolve(
        &self,
        device: Device,
        preset: Option<&str>,
        overrides: &[Override],
    ) -> Result<StageParams> {
        let mut tables = self.stages.clone();
        let mut origin = self.source.clone();
        if let Some(on_device) = self.on_device.get(&device) {
            tables.merge(on_device);
            origin += &format!(" with [on.{}]", device.name());
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
            tables.merge(preset);
            origin += &format!(" with preset {name}");
        }
        for o in overrides {
            tables.set(o.stage, o.key.clone(), o.checked_value()?);
        }
        if !overrides.is_empty() {
            origin += " and --set";
        }
        StageParams::read(&tables, &origin)
    }
}

/// Reads `{clean = {...}, train = {...}}` into stage tables, checking each against its stage's
/// flags; `prefix` places errors.
fn stage_tables(value: &Value, source: &str, prefix: &str) -> Result<StageTables> {
    let Value::Table(table) = value else {
        bail!("{source}: `{prefix}` must be a table of stage tables");
    };
    let mut params = StageTables::default();
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
        // `top-p` as the flag is spelt is `top_p`.
        let entries: Table = entries
            .iter()
            .map(|(key, value)| (key.replace('-', "_"), value.clone()))
            .collect();
        check_table(stage, &entries)
            .with_context(|| format!("{source}: [{prefix}{stage_name}]"))?;
        for (key, value) in entries {
            params.set(stage, key, value);
        }
    }
    Ok(params)
}

/// One `--set stage.key=value` (or `key=value` where the stage is implied).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Override {
    pub(crate) stage: Stage,
    pub(crate) key: String,
    pub(crate) value: Value,
    /// As given, for messages and for a text value that happens to parse as TOML.
    text: String,
    raw: String,
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
        Ok(Override {
            stage,
            key,
            value,
            text: text.to_owned(),
            raw: raw.to_owned(),
        })
    }

    /// The value, checked against the stage's flags: as TOML, or else as the text it was
    /// given (`--set generate.prompt=123` is the prompt `123`).
    fn checked_value(&self) -> Result<Value> {
        let check = |value: &Value| {
            check_table(
                self.stage,
                &Table::from([(self.key.clone(), value.clone())]),
            )
        };
        let as_text = Value::String(self.raw.clone());
        match check(&self.value) {
            Ok(()) => Ok(self.value.clone()),
            Err(_) if self.value != as_text && check(&as_text).is_ok() => Ok(as_text),
            Err(e) => Err(e).with_context(|| format!("`--set {}`", self.text)),
        }
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
num_samples = 7
[presets.seed.train]
preset = "seed"
output_layer = "full"
tie_weights = true
cutoffs = []
"#;

    fn over(text: &str) -> Override {
        Override::parse(text, None).unwrap()
    }

    fn songci() -> PipelineFile {
        PipelineFile::parse(SONGCI, "songci/pipeline.toml").unwrap()
    }

    /// The error of resolving `text` as a pipeline.toml with `preset` and `overrides`, all of it.
    fn resolve_err(text: &str, preset: Option<&str>, overrides: &[&str]) -> String {
        let overrides: Vec<Override> = overrides.iter().map(|o| over(o)).collect();
        let err = PipelineFile::parse(text, "x/pipeline.toml")
            .and_then(|file| file.resolve(Device::Cpu, preset, &overrides))
            .unwrap_err();
        format!("{err:#}")
    }

    #[test]
    fn file_preset_and_overrides_merge_in_that_order() {
        let file = PipelineFile::parse(
            "[train]\ncutoffs = [500, 2000]\ntime_budget = \"8m\"\n[generate]\nnum_samples = 7\n\
             [presets.seed.train]\npreset = \"seed\"\noutput_layer = \"full\"\ntie_weights = true\n",
            "songci/pipeline.toml",
        )
        .unwrap();
        let plain = file.resolve(Device::Cpu, None, &[]).unwrap();
        // preset = "cpu" is the binary's default: no flag needed.
        assert_eq!(
            plain.flags(Stage::Train),
            ["--cutoffs=500,2000", "--time-budget=8m"]
        );
        assert_eq!(plain.train.time_budget, Some(480.0));
        assert_eq!(plain.flags(Stage::Clean), Vec::<String>::new());
        let seed = file
            .resolve(
                Device::Cpu,
                Some("seed"),
                &[over("train.lr=0.003"), over("train.cutoffs=[]")],
            )
            .unwrap_err();
        // The seed preset's full softmax has no clusters: the file's cutoffs then contradict it.
        assert!(format!("{seed:#}").contains("--cutoffs"), "{seed:#}");
        let seed = file
            .resolve(
                Device::Cpu,
                Some("seed"),
                &[
                    over("train.lr=0.003"),
                    over("train.output_layer=adaptive"),
                    over("train.tie_weights=false"),
                ],
            )
            .unwrap();
        assert_eq!(
            seed.flags(Stage::Train),
            [
                "--cutoffs=500,2000",
                "--lr=0.003",
                "--output-layer=adaptive",
                "--preset=seed",
                "--time-budget=8m"
            ]
        );
        assert_eq!(seed.flags(Stage::Generate), ["--num-samples=7"]);
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
        assert_eq!(cpu.flags(Stage::Train), ["--time-budget=1h"]);
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
        let err = songci()
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
        assert!(err.starts_with("x/pipeline.toml: [train]: lr = {"), "{err}");
        assert!(err.contains("invalid type: map, expected f64"), "{err}");
        let err = PipelineFile::parse("[train\n", "x/pipeline.toml").unwrap_err();
        assert!(format!("{err:#}").contains("x/pipeline.toml is not valid TOML"));
    }

    /// A typo in `[generate]` used to reach the generate binary, after the whole training run.
    #[test]
    fn unknown_keys_are_refused_when_the_file_is_read() {
        for (text, place) in [
            (
                "[generate]\nnum_sample = 5\n",
                "x/pipeline.toml: [generate]: ",
            ),
            (
                "[presets.big.generate]\nnum_sample = 5\n",
                "x/pipeline.toml: [presets.big.generate]: ",
            ),
            (
                "[on.cuda.generate]\nnum_sample = 5\n",
                "x/pipeline.toml: [on.cuda.generate]: ",
            ),
        ] {
            let err = format!(
                "{:#}",
                PipelineFile::parse(text, "x/pipeline.toml").unwrap_err()
            );
            assert!(
                err.starts_with(&format!("{place}unknown key `num_sample`; the keys are ")),
                "{err}"
            );
            assert!(err.contains("num_samples"), "{err}");
        }
    }

    #[test]
    fn values_out_of_range_are_refused_before_any_stage_runs() {
        let err = resolve_err("[train]\ndropout = 1.5\n", None, &[]);
        assert!(
            err.starts_with("x/pipeline.toml: [train]: --dropout 1.5: must be a number in [0, 1)"),
            "{err}"
        );
        let err = resolve_err(SONGCI, None, &["train.dropout=1.5"]);
        assert!(
            err.starts_with("x/pipeline.toml and --set: [train]: --dropout 1.5"),
            "{err}"
        );
        let err = resolve_err("[tokenize]\nsplit = \"90/5/6\"\n", None, &[]);
        assert!(
            err.contains("[tokenize]") && err.contains("sum to 101"),
            "{err}"
        );
        let err = resolve_err("[generate]\ntop_p = 0\n", None, &[]);
        assert!(
            err.contains("[generate]: --top-p 0: must be a number in (0, 1]"),
            "{err}"
        );
        let err = resolve_err("[generate]\ndevice = \"gpu\"\n", None, &[]);
        assert!(err.contains("expected auto, cpu, cuda or cuda:N"), "{err}");
        let err = resolve_err(SONGCI, None, &["generate.num_samples=many"]);
        assert!(
            err.starts_with(
                "`--set generate.num_samples=many`: num_samples = \"many\": invalid type"
            ),
            "{err}"
        );
        let err = resolve_err(SONGCI, None, &["generate.top-q=1"]);
        assert!(err.contains("unknown key `top_q`; the keys are "), "{err}");
    }

    /// `--set generate.unique=false` used to become `--unique=false`, which generate's parser
    /// refuses: the value `false` is now a value of the flags, given to the binary as no flag.
    #[test]
    fn a_switch_set_to_false_turns_the_files_switch_off() {
        let poet_names = "[generate]\nnames = true\nnovel = true\nunique = true\n\
                          [train]\ntie_weights = true\noutput_layer = \"full\"\n\
                          [clean]\nbanners = false\n";
        let file = PipelineFile::parse(poet_names, "poet-names/pipeline.toml").unwrap();
        let overrides = [
            over("generate.unique=false"),
            over("train.tie_weights=false"),
            over("clean.banners=true"),
            over("clean.drop_chapter_headings=false"),
        ];
        let params = file.resolve(Device::Cpu, None, &overrides).unwrap();
        assert!(!params.generate.unique && params.generate.novel);
        assert_eq!(params.flags(Stage::Generate), ["--names", "--novel"]);
        assert_eq!(params.flags(Stage::Train), ["--output-layer=full"]);
        assert_eq!(params.flags(Stage::Clean), Vec::<String>::new());
        let on = file.resolve(Device::Cpu, None, &[]).unwrap();
        assert_eq!(on.flags(Stage::Clean), ["--banners=false"]);
        assert_eq!(
            on.flags(Stage::Generate),
            ["--names", "--novel", "--unique"]
        );
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
        // A prompt of digits is text for the prompt, though it parses as a TOML number.
        let params = songci()
            .resolve(Device::Cpu, None, &[over("generate.prompt=123")])
            .unwrap();
        assert_eq!(params.generate.prompt, "123");
        let params = songci()
            .resolve(Device::Cpu, None, &[over("train.cutoffs=[100, 300]")])
            .unwrap();
        assert_eq!(params.train.cutoffs, Some(vec![100, 300]));
        for bad in ["train.lr", "lr=1", "trian.lr=1", "train.=1", "train.a b=1"] {
            let err = Override::parse(bad, None).unwrap_err().to_string();
            assert!(err.contains("expected STAGE.KEY=VALUE"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_corpora_files_and_the_built_in_parameters_resolve() {
        let file = PipelineFile::parse(BUILT_IN, "the built-in parameters").unwrap();
        let params = file.resolve(Device::Cpu, None, &[]).unwrap();
        assert_eq!(params.tokenize.level, tokenize::Level::Word);
        assert_eq!(params.train.time_budget, Some(600.0));
        assert_eq!(params.flags(Stage::Train), ["--time-budget=10m"]);
        let data = crate::project_root().join("data");
        for corpus in ["songci", "poet-names", "jinyong"] {
            let file = PipelineFile::load(&data.join(corpus)).unwrap();
            assert!(!file.built_in, "{corpus}");
            for device in [Device::Cpu, Device::Cuda] {
                file.resolve(device, None, &[]).unwrap();
                for preset in file.presets.keys() {
                    file.resolve(device, Some(preset), &[]).unwrap();
                }
            }
        }
    }
}
