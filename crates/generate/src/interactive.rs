//! Continuations without an artifact: [`continue_prompt`] for one prompt, and the
//! `--interactive` loop (a line in, the continuations out, until end of input).

use crate::config::GenerateConfig;
use crate::continuation::continuations;
use crate::error::GenerateError;
use crate::mode::{Mode, ModeChoice, TrainingShape};
use crate::prompt::encode_prompt;
use crate::source::TrainedModel;
use std::io::{BufRead, Write};

/// The mode of continuations from `trained` with `config` (see [`ModeChoice::choose`]).
pub fn mode_choice(
    trained: &TrainedModel,
    config: &GenerateConfig,
) -> Result<ModeChoice, GenerateError> {
    config.validate()?;
    let shape = TrainingShape::read(&trained.tokenize, &trained.tokenizer)?;
    ModeChoice::choose(config, shape)
}

/// The texts (prompt + continuation) of `config.num_samples` samples for `prompt`, decoded as
/// by the stage in `mode` (names are not filtered); `config.prompt` is ignored.
pub fn continue_prompt(
    trained: &TrainedModel,
    config: &GenerateConfig,
    mode: Mode,
    prompt: &str,
) -> Result<Vec<String>, GenerateError> {
    config.validate()?;
    let encoded = encode_prompt(&trained.tokenizer, prompt);
    let vocab = trained.tokenizer.vocab();
    let generated = continuations(
        &trained.model,
        vocab,
        &encoded,
        config,
        mode,
        &mut |_, _| {},
    )?;
    Ok(generated
        .iter()
        .map(|g| format!("{prompt}{}", trained.tokenizer.decode(&g.tokens)))
        .collect())
}

/// Reads prompts line by line from `input` and writes their continuations to `output`, each
/// followed by a blank line, until end of input (an automatic names mode is announced on
/// stderr first).
pub fn interactive(
    trained: &TrainedModel,
    config: &GenerateConfig,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<(), GenerateError> {
    let choice = mode_choice(trained, config)?;
    if let Some(line) = choice.announcement() {
        eprintln!("{line}");
    }
    let io = |e| GenerateError::io("<stdout>", e);
    write!(output, "> ").map_err(io)?;
    output.flush().map_err(io)?;
    for line in input.lines() {
        let line = line.map_err(|e| GenerateError::io("<stdin>", e))?;
        for text in continue_prompt(trained, config, choice.mode, line.trim_end())? {
            writeln!(output, "{}\n", text.trim_end_matches('\n')).map_err(io)?;
        }
        write!(output, "> ").map_err(io)?;
        output.flush().map_err(io)?;
    }
    writeln!(output).map_err(io)?;
    Ok(())
}
