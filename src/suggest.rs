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

pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(input, candidates).map(|c| format!("did you mean `{c}`?"))
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
}
