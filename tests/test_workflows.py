"""The GitHub side: workflows, issue forms and Dependabot are valid, audited and least-privilege.

Runs the same offline tools a reviewer would (check-jsonschema, zizmor), then checks the
promises the workflows make that no tool knows about: the Pages deploy job can only deploy,
and the weekly enrichment proposes a pull request instead of pushing to main.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ISSUE_FORMS = sorted(p for p in (GITHUB / "ISSUE_TEMPLATE").glob("*.yml") if p.name != "config.yml")

# `uses: owner/repo[/path]@<commit>  # v1.2.3`: a full commit SHA, with the tag it was read from.
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d+(?:\.\d+)*\s*$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    """The `on:` mapping (PyYAML reads the bare key `on` as the boolean True)."""
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on


def run_scripts(workflow: dict) -> list[str]:
    """Every `run:` script of a workflow, with backslash-continued lines joined."""
    return [
        step["run"].replace("\\\n", " ")
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


def zizmor_executable() -> str:
    # pip installs zizmor's binary next to the interpreter, which need not be on PATH.
    beside_python = Path(sys.executable).with_name("zizmor")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("zizmor")
    if found is None:
        pytest.fail('zizmor is not installed: pip install -e ".[test]"')
    return found


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_the_github_files_exist():
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "pages.yml", "enrich.yml", "links.yml", "discover.yml"} <= names
    assert {p.name for p in ISSUE_FORMS} >= {"suggest-paper.yml", "wrong-entry.yml"}
    assert (GITHUB / "pull_request_template.md").is_file()


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_github_schema(workflow):
    result = check_jsonschema("vendor.github-workflows", workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_issue_forms_match_github_schema():
    result = check_jsonschema("vendor.github-issue-forms", *ISSUE_FORMS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_issue_template_config_matches_github_schema():
    result = check_jsonschema("vendor.github-issue-config", GITHUB / "ISSUE_TEMPLATE" / "config.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_config_matches_schema():
    dependabot = GITHUB / "dependabot.yml"
    if not dependabot.exists():
        pytest.skip("no Dependabot configuration")
    result = check_jsonschema("vendor.dependabot", dependabot)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_reports_no_findings():
    # --no-ignores and --no-config: a finding must be fixed, never silenced.
    result = subprocess.run(
        [zizmor_executable(), "--offline", "--no-config", "--no-ignores", "--format", "json", ".github"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    findings = json.loads(result.stdout or "null")
    assert findings is not None, result.stderr
    described = [
        f"{loc['symbolic']['key']['Local']['verbatim_path']}:"
        f"{loc['concrete']['location']['start_point']['row'] + 1}: {f['ident']}: {f['desc']}"
        for f in findings
        for loc in f["locations"][:1]
    ]
    assert described == []
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_tag(workflow):
    lines = workflow.read_text(encoding="utf-8").splitlines()
    uses = [line for line in lines if USES_LINE.match(line)]
    unpinned = [line.strip() for line in uses if not PINNED_USES.match(line)]
    assert unpinned == []
    # Every `uses:` the YAML holds was seen by the line check above (none hides in flow style).
    steps = [s for job in load(workflow)["jobs"].values() for s in job.get("steps", [])]
    assert len(uses) == sum("uses" in s for s in steps)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_no_workflow_runs_on_pull_request_target(workflow):
    assert "pull_request_target" not in triggers(load(workflow))
    assert "pull_request_target" not in workflow.read_text(encoding="utf-8")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_granted_per_job_only(workflow):
    data = load(workflow)
    assert data["permissions"] == {}
    for name, job in data["jobs"].items():
        assert "permissions" in job, f"job {name} does not declare its permissions"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_never_persists_credentials(workflow):
    for job in load(workflow)["jobs"].values():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False


def test_pages_deploy_job_can_only_deploy():
    jobs = load(GITHUB / "workflows" / "pages.yml")["jobs"]
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    assert "write" not in jobs["build"]["permissions"].values()


def test_pages_deployments_are_never_cancelled():
    concurrency = load(GITHUB / "workflows" / "pages.yml")["concurrency"]
    assert concurrency == {"group": "pages", "cancel-in-progress": False}


@pytest.mark.parametrize("name", ["pages.yml", "enrich.yml", "links.yml", "discover.yml"])
def test_workflows_that_publish_or_write_restore_no_cache(name):
    for job in load(GITHUB / "workflows" / name)["jobs"].values():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert "cache" not in step.get("with", {})


def test_enrich_runs_weekly_or_by_hand_only():
    assert set(triggers(load(GITHUB / "workflows" / "enrich.yml"))) == {"schedule", "workflow_dispatch"}


def test_enrich_never_pushes_to_main():
    workflow = load(GITHUB / "workflows" / "enrich.yml")
    pushes = [
        line.strip()
        for script in run_scripts(workflow)
        for line in script.splitlines()
        if re.search(r"\bgit\b.*\bpush\b", line)
    ]
    assert pushes, "enrich.yml should push its branch for the pull request"
    for push in pushes:
        assert "refs/heads/$branch" in push, push
        assert not re.search(r"\bmain\b|\bmaster\b|--force|\s-f\b|--mirror|--all", push), push
    scripts = "\n".join(run_scripts(workflow))
    assert 'branch="enrich/' in scripts
    assert "gh pr create" in scripts


def test_enrich_makes_no_request_when_nothing_is_missing():
    steps = load(GITHUB / "workflows" / "enrich.yml")["jobs"]["enrich"]["steps"]
    ids = [step.get("id") for step in steps]
    assert "missing" in ids
    counted = ids.index("missing")
    assert "--missing-count" in steps[counted]["run"]
    after = steps[counted + 1 :]
    assert any("--online" in step.get("run", "") for step in after)
    for step in after:
        assert step.get("if") == "steps.missing.outputs.count != '0'", step.get("name")


def test_only_the_enrich_job_may_write():
    for workflow in WORKFLOWS:
        for name, job in load(workflow)["jobs"].items():
            writes = {scope for scope, access in job["permissions"].items() if access == "write"}
            if workflow.name in ("enrich.yml", "discover.yml"):
                assert writes == {"contents", "pull-requests"}
            elif workflow.name == "links.yml":
                assert writes == {"issues"}  # it reports in an issue and changes nothing in the repository
            elif (workflow.name, name) == ("pages.yml", "deploy"):
                assert writes == {"pages", "id-token"}
            else:
                assert writes == set(), f"{workflow.name}: job {name} may write {writes}"


# --- locked dependencies -------------------------------------------------------------------


def locked_versions(lock: Path) -> dict[str, str]:
    """``name == version`` pins of a pip-compile lock, names canonicalised."""
    from packaging.utils import canonicalize_name

    pins = re.findall(r"^([A-Za-z0-9][\w.-]*)==([^\s\\;]+)", lock.read_text(encoding="utf-8"), re.MULTILINE)
    return {canonicalize_name(name): version for name, version in pins}


def declared(*extras: str) -> list:
    """pyproject.toml's requirements: the dependencies plus the named extras."""
    from packaging.requirements import Requirement

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    texts = project["dependencies"] + [r for extra in extras for r in project["optional-dependencies"][extra]]
    return [Requirement(text) for text in texts]


@pytest.mark.parametrize(("lock", "extras"), [("site.txt", ()), ("test.txt", ("test", "zensical"))])
def test_each_lock_pins_every_declared_dependency_inside_its_range_with_hashes(lock, extras):
    from packaging.utils import canonicalize_name

    path = ROOT / "requirements" / lock
    pins = locked_versions(path)
    for requirement in declared(*extras):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} does not pin {name}: run requirements/update"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{lock}: {name}=={pins[name]} is outside {requirement}"
    # Every pin carries hashes (pip --require-hashes refuses the whole file otherwise).
    blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text(encoding="utf-8").split("\n\n", 1)[-1])
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)
    assert "setuptools" in pins  # the build backend, for an install without build isolation


def test_the_test_lock_holds_the_site_lock():
    site, test = locked_versions(ROOT / "requirements" / "site.txt"), locked_versions(ROOT / "requirements" / "test.txt")
    assert {name: test.get(name) for name in site} == site


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_install_python_packages_only_from_the_lock(workflow):
    for script in run_scripts(load(workflow)):
        for line in script.splitlines():
            if re.search(r"\bpip\b.*\binstall\b", line):
                from_lock = "--require-hashes" in line and re.search(r"-r requirements/\S+\.txt", line)
                itself = "--no-deps" in line and line.rstrip().endswith("-e .")
                assert from_lock or itself, f"{workflow.name}: {line.strip()}"


def test_dependabot_proposes_updates_of_every_lock():
    updates = load(GITHUB / "dependabot.yml")["updates"]
    assert {u["package-ecosystem"] for u in updates} >= {"pip", "npm", "github-actions"}


# --- tracked symlinks ----------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.mark.parametrize(
    "linked",
    [
        "listings/900_x.txt",
        "docs/leak.txt",
        "data/papers-metadata.jsonl",
        "papers.yaml",
        # What the build also reads or writes: the theme's templates, MkDocs' configuration,
        # a whole directory of docs/, the site directory it empties and refills.
        "generator/templates/theme/main.html",
        "mkdocs.yml",
        "docs/bib",
        "site",
    ],
)
def test_ci_refuses_a_tracked_symlink_in_what_the_build_reads(tmp_path, linked):
    repo = tmp_path / "repo"
    (repo / "listings").mkdir(parents=True)
    (repo / "listings" / "000_real.txt").write_text("a listing\n", encoding="utf-8")
    (repo / Path(linked).parent).mkdir(parents=True, exist_ok=True)
    (repo / linked).unlink(missing_ok=True)
    (repo / linked).symlink_to("/etc/passwd")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    done = subprocess.run(["bash", str(ROOT / ".ci" / "check-symlinks")], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"{linked}: a tracked symlink; commit the file itself"]


def test_ci_passes_the_committed_tree_without_symlinks():
    done = subprocess.run(["bash", str(ROOT / ".ci" / "check-symlinks")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_ci_compares_ids_and_keys_with_the_pull_requests_base():
    workflow = load(GITHUB / "workflows" / "ci.yml")
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] >= 2  # the merge commit and its base
    (compare,) = [step for step in steps if "--base" in step.get("run", "")]
    assert compare["if"] == "github.event_name == 'pull_request'"
    assert compare["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}  # never inlined into the script
    assert 'python -m generator validate --quiet --base "$BASE_SHA"' in compare["run"]
    assert job["permissions"] == {"contents": "read"}
    assert steps.index(compare) > next(i for i, step in enumerate(steps) if "bash .ci/run" in step.get("run", ""))


def test_the_pull_request_template_says_how_to_retire_a_paper():
    template = (GITHUB / "pull_request_template.md").read_text(encoding="utf-8")
    assert "retired:" in template and "replaced_by" in template and "validate --base" in template


def test_link_check_runs_weekly_or_by_hand_and_keeps_one_issue():
    workflow = load(GITHUB / "workflows" / "links.yml")
    assert set(triggers(workflow)) == {"schedule", "workflow_dispatch"}
    scripts = "\n".join(run_scripts(workflow))
    assert "python -m generator check-links --previous" in scripts
    # One issue, found by its label: updated while links are dead, closed when none is.
    assert "--label dead-links --state open" in scripts
    assert "gh issue edit" in scripts and "gh issue create" in scripts and "gh issue close" in scripts
    assert not re.search(r"\bgit\b.*\bpush\b", scripts)


def test_discovery_runs_weekly_and_only_pushes_its_own_branch():
    workflow = load(GITHUB / "workflows" / "discover.yml")
    assert set(triggers(workflow)) == {"schedule", "workflow_dispatch"}
    scripts = run_scripts(workflow)
    pushes = [line.strip() for script in scripts for line in script.splitlines() if re.search(r"\bgit\b.*\bpush\b", line)]
    assert pushes
    for push in pushes:
        assert push.endswith('"HEAD:refs/heads/discover/queue"'), push
        assert not re.search(r"\bmain\b|\bmaster\b|--mirror|--all", push), push
    joined = "\n".join(scripts)
    assert "python -m generator discover --limit" in joined  # bounded
    assert "git add candidates.yaml" in joined and "git add --all" not in joined and "git add ." not in joined
