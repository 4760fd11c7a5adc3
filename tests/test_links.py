"""Links in abstracts: with and without a scheme, never a word with dots; mirror hosts flagged."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.ingest.links import find_links, find_urls, links_from_abstract, mirror_host

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "text, links",
    [
        ("Code, models and recipes at: robovlms.github.io.", ["https://robovlms.github.io"]),
        ("See vid2robot.github.io for videos", ["https://vid2robot.github.io"]),
        ("(grounded-decoding.github.io).", ["https://grounded-decoding.github.io"]),
        ("Code: github.com/OpenGVLab/InternVL; data on huggingface.co/datasets/x/y.", ["https://github.com/OpenGVLab/InternVL", "https://huggingface.co/datasets/x/y"]),
        ("Project: GitHub.io/x is GitHub's, but Foo.GitHub.io/a/b#c is a project.", ["https://foo.github.io/a/b#c"]),
        ("See www.nexa4ai.com/octo-planner and sites.google.com/view/abc.", ["https://www.nexa4ai.com/octo-planner", "https://sites.google.com/view/abc"]),
        # With a scheme, once, whatever the host says inside.
        ("https://x.github.io/a and https://example.com/?u=foo.github.io/b", ["https://x.github.io/a", "https://example.com/?u=foo.github.io/b"]),
    ],
)
def test_scheme_less_project_and_code_sites_are_links(text, links):
    assert [url for _, _, url in find_links(text)] == links


@pytest.mark.parametrize(
    "text",
    [
        "as shown in Fig.3, e.g. with v1.5 and i.e. GPT-4.0 at 1.2M steps",
        "built on node.js, Vue.js, ASP.NET and sklearn.linear_model",
        "in the U.S. et al. report",
        "see README.md, config.yaml and model.pth",
        "on arXiv.org and openreview.net",  # a site, but no project's page: not said to be one
        "hosted on github.com and GitHub.io",  # the host alone names the service, not a project
        "write to a@lab.github.io or /docs/robo.github.io",
        "www.2024 and WWW.x",
    ],
)
def test_words_with_dots_are_not_links(text):
    assert find_links(text) == []


def test_a_found_link_spans_exactly_its_mention():
    text = "Recipes at: robovlms.github.io. More at https://a.org/x."
    assert [text[start:end] for start, end, _ in find_links(text)] == ["robovlms.github.io", "https://a.org/x"]
    # find_urls (the pages' linkifier) still sees only URLs with a scheme.
    assert [url for _, _, url in find_urls(text)] == ["https://a.org/x"]


def test_links_from_an_abstract_name_scheme_less_sites_too():
    links = links_from_abstract("Code at github.com/x/y; see robovlms.github.io and https://github.com/x/y/.")
    assert links == {"code": "https://github.com/x/y", "project": "https://robovlms.github.io"}


@pytest.mark.parametrize(
    "url, host",
    [
        ("https://hf-mirror.com/datasets/x", "hf-mirror.com"),
        ("https://hf.mirrork.net/datasets/vyokky/GUI-360", "hf.mirrork.net"),
        ("https://hf.byter.me/papers/2506.16655", "hf.byter.me"),
        ("https://huggingface.sukaka.top/models/x", "huggingface.sukaka.top"),
        ("https://www.hf-mirror.com/x", "hf-mirror.com"),
        ("https://huggingface.co/datasets/x", None),
        ("https://hf.co/x", None),
        ("https://demo.hf.space/", None),
        ("https://github.com/hf/x", None),
        ("https://hfmodels.example.org/", None),
    ],
)
def test_mirror_hosts_are_told_from_hugging_face(url, host):
    assert mirror_host(url) == host


def run_validate(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "generator", "validate"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_validate_warns_of_a_mirror_link_at_its_line_and_exits_zero(tmp_path):
    text = (ROOT / "papers.yaml").read_text(encoding="utf-8")
    at = text.index("\n- id: ", text.index("\npapers:\n"))
    paper = text[at + 1 : text.index("\n- id: ", at + 1) + 1]
    ident = re.match(r"- id: (\S+)", paper)[1]
    mirrored = re.sub(r"(?m)^  abstract: ", "  links:\n    demo: https://hf-mirror.com/spaces/x/y\n  abstract: ", paper, count=1)
    if "  links:\n" in paper:  # the paper has links already: add one to them
        mirrored = paper.replace("  links:\n", "  links:\n    demo: https://hf-mirror.com/spaces/x/y\n", 1)
    (tmp_path / "papers.yaml").write_text(text.replace(paper, mirrored, 1), encoding="utf-8")
    done = run_validate(tmp_path)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "papers.yaml").read_text(encoding="utf-8").splitlines()
    (warning,) = [w for w in done.stderr.splitlines() if "hf-mirror.com" in w]
    match = re.fullmatch(rf"warning: papers\.yaml:(\d+): paper '{ident}': links\.demo: hf-mirror\.com is an unofficial Hugging Face mirror; .*", warning)
    assert match, warning
    assert lines[int(match[1]) - 1] == "  links:"
    assert "Traceback" not in done.stderr
