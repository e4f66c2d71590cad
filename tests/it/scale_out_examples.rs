//! The scale-out examples (examples/scale-out/, explained in
//! docs/scale-out.md) stay valid: the YAML and JSON parse, the shell scripts
//! pass `bash -n`, and every `racesim …` command line in them (and in the
//! guide's code blocks) parses with racesim's own command line. The Slurm
//! script also runs for real on a cluster in tests/it/slurm.rs.

use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};
use racesim::cli::Cli;
use serde::Deserialize;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scale-out")
        .join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every string in a parsed YAML or JSON document.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The documents of a YAML file, each as JSON values.
fn yaml_documents(path: &Path) -> Vec<serde_json::Value> {
    let text = read(path);
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| {
            serde_json::Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
        })
        .collect()
}

fn json_document(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path))
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

/// The `racesim SUBCOMMAND …` command lines in `text`, as the shell would
/// split them: a backslash-newline continues a line; a command ends at the
/// line's end, at `;`, `&&`, `||`, `|`, a redirection or a quote that
/// closes an enclosing string (`--wrap '…'`). Variables (`$X`, `${X:-d}`,
/// `${{ matrix.x }}`) become `1`, as an engine would fill in a number or
/// name. `"$RACESIM"` is the racesim binary.
fn commands(text: &str) -> Vec<Vec<String>> {
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let text = text.replace("\\\n", " ").replace("\"$RACESIM\"", "racesim");
    let mut found = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("racesim ") {
            let after = &rest[at + "racesim ".len()..];
            let starts_word = rest[..at]
                .chars()
                .last()
                .is_none_or(|c| !(c.is_alphanumeric() || "-_/.:$".contains(c)));
            let sub = after.split_whitespace().next().unwrap_or("");
            if starts_word && names.iter().any(|n| n == sub) {
                found.push(split(after));
            }
            rest = after;
        }
    }
    found
}

/// Splits one command line (after `racesim `) into its arguments.
fn split(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut args = Vec::new();
    let mut arg = String::new();
    let mut started = false;
    let mut i = 0;
    let variable = |i: usize| -> usize {
        // `i` is at `$`; returns the index after the variable.
        match chars.get(i + 1) {
            Some('{') if chars.get(i + 2) == Some(&'{') => {
                let end = (i..chars.len())
                    .find(|&j| chars[j] == '}' && chars.get(j + 1) == Some(&'}'))
                    .expect("an unclosed ${{");
                end + 2
            }
            Some('{') => {
                (i..chars.len())
                    .find(|&j| chars[j] == '}')
                    .expect("an unclosed ${")
                    + 1
            }
            _ => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                j
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => {
                if started {
                    args.push(std::mem::take(&mut arg));
                    started = false;
                }
                i += 1;
            }
            '\'' | '"' => {
                let Some(close) = (i + 1..chars.len()).find(|&j| chars[j] == c) else {
                    break; // closes an enclosing string: the command ends
                };
                let mut j = i + 1;
                while j < close {
                    if c == '"' && chars[j] == '$' {
                        arg.push('1');
                        j = variable(j).min(close);
                    } else {
                        arg.push(chars[j]);
                        j += 1;
                    }
                }
                started = true;
                i = close + 1;
            }
            '$' => {
                arg.push('1');
                started = true;
                i = variable(i);
            }
            ';' | '|' | '&' | '>' | '<' | ')' | '`' => break,
            '#' if !started => break,
            _ => {
                arg.push(c);
                started = true;
                i += 1;
            }
        }
    }
    if started {
        args.push(arg);
    }
    args
}

/// Asserts each command parses with racesim's CLI (and each explicit
/// `--shard K/N` is a shard); returns how many there were.
fn assert_commands_parse(source: &str, text: &str) -> usize {
    let found = commands(text);
    for args in &found {
        let line = args.join(" ");
        if let Err(e) =
            Cli::try_parse_from(std::iter::once("racesim".to_string()).chain(args.clone()))
        {
            panic!("{source}: `racesim {line}` is not a racesim command line:\n{e}");
        }
        if let Some(at) = args.iter().position(|a| a == "--shard") {
            let spec = &args[at + 1];
            if !spec.starts_with("auto") {
                racesim::shard::parse(spec, |_| None)
                    .unwrap_or_else(|e| panic!("{source}: `racesim {line}`: {}", e.0));
            }
        }
    }
    found.len()
}

fn assert_bash_syntax(path: &Path) {
    let out = std::process::Command::new("bash")
        .arg("-n")
        .arg(path)
        .output()
        .expect("run bash -n");
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_command_scanner_finds_and_splits_what_a_shell_would() {
    let text = "# run it:\n#   sbatch --wrap 'racesim merge parts/*.json -f json -o f.json'\n\
                \"$RACESIM\" run \"$SCENARIO\" -n \"${TRIALS:-10}\" \\\n  --shard auto --partial \"p-$ID.json\"\n\
                racesim-shard: image racesim:latest; racesim's job\n\
                x && racesim check s --shard ${{ matrix.shard }}/3 > c.json || test $? -eq 1";
    assert_eq!(
        commands(text),
        [
            vec!["merge", "parts/*.json", "-f", "json", "-o", "f.json"],
            vec![
                "run",
                "1",
                "-n",
                "1",
                "--shard",
                "auto",
                "--partial",
                "p-1.json"
            ],
            vec!["check", "s", "--shard", "1/3"],
        ]
    );
    // A wrong command line is caught.
    let caught =
        std::panic::catch_unwind(|| assert_commands_parse("t", "racesim run --no-such-flag x.csv"));
    assert!(caught.is_err());
    let caught = std::panic::catch_unwind(|| {
        assert_commands_parse("t", "racesim run x.csv --shard 5/4 --partial p")
    });
    assert!(caught.is_err());
}

#[test]
fn the_slurm_and_aws_scripts_are_valid_shell_with_racesim_commands() {
    let sbatch = example("slurm.sbatch");
    assert_bash_syntax(&sbatch);
    assert_eq!(assert_commands_parse("slurm.sbatch", &read(&sbatch)), 2);
    let submit = example("aws-batch/submit.sh");
    assert_bash_syntax(&submit);
    for name in ["shard-job-definition.json", "merge-job-definition.json"] {
        assert!(
            read(&submit).contains(&format!("file://{name}")),
            "submit.sh registers {name}"
        );
    }
}

#[test]
fn the_aws_batch_job_definitions_are_json_running_racesim() {
    for (name, expected) in [
        ("aws-batch/shard-job-definition.json", 1),
        ("aws-batch/merge-job-definition.json", 1),
    ] {
        let doc = json_document(&example(name));
        assert_eq!(doc["type"], "container", "{name}");
        let command = doc["containerProperties"]["command"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: containerProperties.command"));
        let mut texts = Vec::new();
        command.iter().for_each(|v| strings(v, &mut texts));
        assert_eq!(
            assert_commands_parse(name, &texts.join("\n")),
            expected,
            "{name}"
        );
    }
    // The shard count given to racesim is the one the job definition sets.
    let shard = json_document(&example("aws-batch/shard-job-definition.json"));
    assert_eq!(
        shard["containerProperties"]["environment"][0]["name"],
        "RACESIM_SHARDS"
    );
    let shards = shard["containerProperties"]["environment"][0]["value"]
        .as_str()
        .unwrap();
    assert!(read(&example("aws-batch/submit.sh")).contains(&format!("size={shards}")));
}

#[test]
fn the_kubernetes_manifests_are_an_indexed_job_and_a_merge_job() {
    let shards = yaml_documents(&example("kubernetes-shards.yaml"));
    let job = shards
        .iter()
        .find(|d| d["kind"] == "Job")
        .expect("an Indexed Job");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let completions = job["spec"]["completions"].as_u64().unwrap();
    let mut texts = Vec::new();
    strings(job, &mut texts);
    assert_eq!(
        assert_commands_parse("kubernetes-shards.yaml", &texts.join("\n")),
        1
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains(&format!("--shard auto/{completions}"))),
        "--shard auto/N repeats completions"
    );
    let merge = yaml_documents(&example("kubernetes-merge.yaml"));
    assert_eq!(merge.len(), 1);
    assert_eq!(merge[0]["kind"], "Job");
    let mut texts = Vec::new();
    strings(&merge[0], &mut texts);
    assert_eq!(
        assert_commands_parse("kubernetes-merge.yaml", &texts.join("\n")),
        2
    );
}

#[test]
fn the_github_workflow_is_a_matrix_with_merge_jobs() {
    let docs = yaml_documents(&example("github-actions.yml"));
    assert_eq!(docs.len(), 1);
    let jobs = &docs[0]["jobs"];
    assert!(jobs["shard"]["strategy"]["matrix"]["shard"].is_array());
    assert_eq!(jobs["merge"]["needs"], "shard");
    assert_eq!(jobs["check"]["needs"], "check-shard");
    let mut texts = Vec::new();
    strings(jobs, &mut texts);
    assert_eq!(
        assert_commands_parse("github-actions.yml", &texts.join("\n")),
        5
    );
}

#[test]
fn the_guides_command_lines_parse() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scale-out.md");
    let text = read(&path);
    // Only the code blocks: the prose abbreviates commands with `…`.
    let blocks: Vec<&str> = text.split("```").skip(1).step_by(2).collect();
    assert!(assert_commands_parse("docs/scale-out.md", &blocks.join("\n")) >= 8);
}
