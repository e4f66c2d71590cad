//! `--output` writes what the path finally names: a symbolic link is
//! followed (the link stays), a pipe or device is written in place, and a
//! directory is refused without touching anything.

use super::common;

use common::{BASE, EXIT_FAILURE, Workspace};

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_followed_and_kept() {
    let ws = Workspace::new();
    ws.write("s.csv", BASE);
    ws.write("real.json", "earlier result");
    std::os::unix::fs::symlink("real.json", ws.path("link.json")).unwrap();
    std::os::unix::fs::symlink("new.json", ws.path("dangling.json")).unwrap();
    for link in ["link.json", "dangling.json"] {
        ws.run(&["run", "s.csv", "-n", "50", "-q", "-f", "json", "-o", link])
            .assert_ok();
        let meta = std::fs::symlink_metadata(ws.path(link)).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} was replaced");
    }
    for target in ["real.json", "new.json"] {
        let text = String::from_utf8(ws.read(target)).unwrap();
        assert!(
            text.starts_with("{\n  \"schema_version\": 1"),
            "{target}: {text:.40}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_pipe_is_written_in_place() {
    let ws = Workspace::new();
    ws.write("s.csv", BASE);
    let fifo = ws.path("results.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (sent, received) = std::sync::mpsc::channel();
    {
        let fifo = fifo.clone();
        std::thread::spawn(move || sent.send(std::fs::read(fifo).unwrap()));
    }
    let args = [
        "run",
        "s.csv",
        "-n",
        "50",
        "-q",
        "-f",
        "csv",
        "-o",
        "results.pipe",
    ];
    ws.run(&args).assert_ok();
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata(&fifo).unwrap().file_type().is_fifo(),
        "the pipe was replaced by a file"
    );
    // A reader left waiting would mean nothing was written to the pipe.
    let got = received
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the reader got nothing");
    let got = String::from_utf8(got).unwrap();
    assert!(
        got.starts_with("plan,channel,metric,month,mean"),
        "{got:.60}"
    );
}

#[test]
fn a_directory_is_refused_and_left_alone() {
    let ws = Workspace::new();
    ws.write("s.csv", BASE);
    std::fs::create_dir(ws.path("out")).unwrap();
    ws.write("out/keep.txt", "x");
    ws.run(&["run", "s.csv", "-n", "50", "-q", "-o", "out"])
        .assert_code(EXIT_FAILURE)
        .assert_stderr_has(&["out", "is a directory"]);
    assert_eq!(
        std::fs::read_dir(ws.path("out")).unwrap().count(),
        1,
        "nothing may be written into the directory"
    );
    assert!(
        ws.listing().iter().all(|f| !f.ends_with(".tmp")),
        "a temporary file was left behind"
    );
}
