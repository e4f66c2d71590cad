#!/usr/bin/env python3
"""Re-run every `$ racesim ...` example in the docs and paste its real output.

Documentation shows real output; after a change that moves numbers, run
`cargo build --release && python3 tools/refresh_docs.py` so the examples stay
true. Commands run in a scratch directory that sees the repository's
`scenarios/` and `examples/`, with `racesim` being the release binary.
A first line ending in `# excerpt` is left alone (trimmed by hand).
A block that starts with `# racesim optimize` shows the plans file the
preceding `--output-plans` command wrote, and is refreshed from it.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "racesim")
FILES = ["README.md", "docs/planners.md", "docs/ci.md", "docs/report.md", "docs/fit.md"]
BLOCK = re.compile(r"```\n(.*?)```\n", re.S)


def run(command, cwd):
    shell = command.replace("racesim", BINARY, 1)
    # Examples never show the progress bar; stderr is part of what users see.
    result = subprocess.run(shell, shell=True, cwd=cwd, capture_output=True, text=True)
    return result.stdout + result.stderr


def refresh(path, scratch):
    text = open(path, encoding="utf-8").read()

    def replace(match):
        body = match.group(1)
        first = body.split("\n", 1)[0]
        if first.startswith("$ racesim") and not first.endswith("# excerpt"):
            output = run(first[2:], scratch)
            return "```\n" + first + "\n" + output.rstrip("\n") + "\n```\n"
        if first.startswith("# racesim optimize"):
            plans = [f for f in os.listdir(scratch) if f.endswith(".plans.csv")]
            if plans:
                content = open(os.path.join(scratch, sorted(plans)[0])).read()
                return "```\n" + content.rstrip("\n") + "\n```\n"
        return match.group(0)

    new = BLOCK.sub(replace, text)
    if new != text:
        open(path, "w", encoding="utf-8").write(new)
        print(f"refreshed {path}")


def main():
    if not os.path.exists(BINARY):
        sys.exit("build first: cargo build --release")
    scratch = tempfile.mkdtemp(prefix="racesim-docs-")
    try:
        for name in ("scenarios", "examples"):
            os.symlink(os.path.join(ROOT, name), os.path.join(scratch, name))
        with open(os.path.join(scratch, "shop.csv"), "w") as f:
            f.write("stage,channel,metric,value\nreach,search,spend,100\nreach,search,cost_per_vist,1\n")
        for name in FILES:
            refresh(os.path.join(ROOT, name), scratch)
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
