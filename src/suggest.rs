//! "Did you mean …?" suggestions for misspelled names.

/// The closest candidate by Jaro-Winkler similarity, if it is close enough
/// to be a plausible typo rather than a different word.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&input, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "did you mean `reach`?", and when the input has a character that is
/// not ASCII, which one: a Cyrillic `е` looks exactly like a Latin `e`, so
/// without the hint the suggestion seems to repeat what was typed.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(input, candidates).map(|c| {
        let mut s = format!("did you mean `{c}`?");
        if let Some(hint) = non_ascii(input) {
            s.push_str(&format!(" ({hint})"));
        }
        s
    })
}

/// Names the first character of `input` that is not ASCII, and where it is
/// (counting characters from 1).
pub fn non_ascii(input: &str) -> Option<String> {
    let (position, c) = input.chars().enumerate().find(|(_, c)| !c.is_ascii())?;
    let more = input.chars().filter(|c| !c.is_ascii()).count() - 1;
    let others = match more {
        0 => String::new(),
        1 => " and 1 more".into(),
        n => format!(" and {n} more"),
    };
    let shown = if c.is_control() || c.is_whitespace() {
        String::new()
    } else {
        format!("`{c}`, ")
    };
    Some(format!(
        "character {} is {shown}U+{:04X}, not an ASCII letter{others}: retype it",
        position + 1,
        c as u32
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let names = ["cost_per_visit", "spend", "audience"];
        assert_eq!(closest("cost_per_vist", names), Some("cost_per_visit"));
        assert_eq!(closest("Spend", names), Some("spend"));
        assert_eq!(closest("zzz", names), None);
    }

    #[test]
    fn a_look_alike_letter_is_named() {
        // Cyrillic е (U+0435) in place of the Latin e.
        assert_eq!(
            did_you_mean("r\u{435}ach", ["reach", "act"]).as_deref(),
            Some(
                "did you mean `reach`? (character 2 is `\u{435}`, U+0435, not an ASCII letter: retype it)"
            )
        );
        assert_eq!(
            did_you_mean("rach", ["reach"]).as_deref(),
            Some("did you mean `reach`?")
        );
    }
}
