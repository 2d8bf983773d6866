//! Continuations without an artifact: [`continue_prompt`] for one prompt, and the
//! `--interactive` loop (a line in, the continuations out, until end of input). A line that is
//! not UTF-8 does not end the loop: it is read as GB18030 when that decodes it cleanly, or else
//! with its undecodable bytes replaced ([`decode_line`]), and a warning on stderr names its
//! number.

use crate::config::{GenerateConfig, Task};
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
    config.validate_for(Task::Interactive)?;
    config.check_model(trained.config.vocab_size)?;
    let shape = TrainingShape::read(&trained.tokenize, &trained.tokenizer)?;
    let choice = ModeChoice::choose(config, shape)?;
    config.check_mode(&choice)?;
    Ok(choice)
}

/// The texts (prompt + continuation) of `config.num_samples` samples for `prompt`, decoded as
/// by the stage in `mode` (names are not filtered). The flags are checked as for
/// `--interactive`: `config.prompt` must be empty, `--novel`/`--unique` unset.
pub fn continue_prompt(
    trained: &TrainedModel,
    config: &GenerateConfig,
    mode: Mode,
    prompt: &str,
) -> Result<Vec<String>, GenerateError> {
    config.validate_for(Task::Interactive)?;
    config.check_model(trained.config.vocab_size)?;
    let encoded = encode_prompt(&trained.tokenizer, prompt);
    let vocab = trained.tokenizer.vocab();
    let generated = continuations(
        trained.predictor(config.no_mixture),
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

/// The text of one line of input (its line end included, if any) and, when it was not UTF-8,
/// what was done about it: read as GB18030 when that decodes every byte (or as Big5 when
/// [`clean::decode`] recognises it, whose bytes GB18030 also accepts), or else as UTF-8 with
/// each undecodable sequence replaced by U+FFFD.
pub fn decode_line(bytes: &[u8]) -> (String, Option<String>) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_owned(), None);
    }
    if let Ok(decoded) = clean::decode(bytes)
        && decoded.undecodable_bytes == 0
        && (decoded.encoding == "gb18030" || decoded.encoding == "Big5")
    {
        let note = format!("is not UTF-8: read it as {}", decoded.encoding);
        return (decoded.text, Some(note));
    }
    (
        String::from_utf8_lossy(bytes).into_owned(),
        Some("is neither UTF-8 nor GB18030: its undecodable bytes became U+FFFD".into()),
    )
}

/// Reads prompts line by line from `input` and writes their continuations to `output`, each
/// followed by a blank line, until end of input (an automatic names mode is announced on
/// stderr first). A line that is not UTF-8 is decoded by [`decode_line`], with a warning on
/// stderr naming its number.
pub fn interactive(
    trained: &TrainedModel,
    config: &GenerateConfig,
    mut input: impl BufRead,
    mut output: impl Write,
) -> Result<(), GenerateError> {
    let choice = mode_choice(trained, config)?;
    if let Some(line) = choice.announcement() {
        eprintln!("{line}");
    }
    let io = |e| GenerateError::io("<stdout>", e);
    write!(output, "> ").map_err(io)?;
    output.flush().map_err(io)?;
    let mut bytes = Vec::new();
    for number in 1u64.. {
        bytes.clear();
        let read = input
            .read_until(b'\n', &mut bytes)
            .map_err(|e| GenerateError::io("<stdin>", e))?;
        if read == 0 {
            break;
        }
        let (line, note) = decode_line(&bytes);
        if let Some(note) = note {
            eprintln!("warning: line {number} of standard input {note}");
        }
        let prompt = line.trim_start_matches('\u{feff}').trim_end();
        for text in continue_prompt(trained, config, choice.mode, prompt)? {
            writeln!(output, "{}\n", text.trim_end_matches('\n')).map_err(io)?;
        }
        write!(output, "> ").map_err(io)?;
        output.flush().map_err(io)?;
    }
    writeln!(output).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::decode_line;

    #[test]
    fn lines_that_are_not_utf8_are_decoded_with_a_note() {
        assert_eq!(decode_line("郭靖\n".as_bytes()), ("郭靖\n".into(), None));
        // 黄蓉 in GB18030 (not valid Big5).
        let (text, note) = decode_line(&[0xbb, 0xc6, 0xc8, 0xd8, b'\n']);
        assert_eq!(text, "黄蓉\n");
        assert!(note.unwrap().contains("gb18030"));
        let (text, note) = decode_line(&[b'a', 0xff, b'b']);
        assert_eq!(text, "a\u{fffd}b");
        assert!(note.unwrap().contains("U+FFFD"));
    }
}
