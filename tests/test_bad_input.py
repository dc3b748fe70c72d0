"""Bad input is refused with the file, line or version named, exit 2, and nothing applied.

Every case runs the real `eros-migrate up`; "nothing applied" is proven by the local engine's
folder never being created: the command stopped before it started any target.
"""

from __future__ import annotations

import pytest

from tests.conftest import Project


def refused(project: Project, *expected: str) -> None:
    result = project.run("up")
    assert result.code == 2, result.err
    for text in expected:
        assert text in result.err, result.err
    assert "Traceback" not in result.err
    assert not (project.root / ".eros").exists(), "the target was touched"


def test_duplicate_version(project: Project) -> None:
    project.write("0002_other.up.sql", "SELECT 1;\n")
    project.write("0002_other.down.sql", "SELECT 1;\n")
    refused(project, "0002_other", "version 2 is defined twice")


def test_missing_version(project: Project) -> None:
    project.write("0005_late.up.sql", "SELECT 1;\n")
    project.write("0005_late.down.sql", "SELECT 1;\n")
    refused(project, "0005_late.up.sql", "version 4 is missing")


def test_missing_down_file(project: Project) -> None:
    project.write("0004_lonely.up.sql", "SELECT 1;\n")
    refused(project, "0004_lonely.up.sql", "has no down file", "0004_lonely.down.sql")


def test_empty_file(project: Project) -> None:
    project.write("0004_empty.up.sql", "")
    project.write("0004_empty.down.sql", "SELECT 1;\n")
    refused(project, "0004_empty.up.sql", "file is empty")


def test_only_comments(project: Project) -> None:
    project.write("0004_comments.up.sql", "-- nothing here\n/* still nothing */\n")
    project.write("0004_comments.down.sql", "SELECT 1;\n")
    refused(project, "0004_comments.up.sql", "only comments")


def test_non_utf8_file(project: Project) -> None:
    project.write("0004_latin1.up.sql", "SELECT 'caf\xe9';\n".encode("latin-1"))
    project.write("0004_latin1.down.sql", "SELECT 1;\n")
    refused(project, "0004_latin1.up.sql:1:", "not UTF-8")


def test_binary_file(project: Project) -> None:
    project.write("0004_binary.up.sql", b"SELECT 1;\x00\x01\x02")
    project.write("0004_binary.down.sql", "SELECT 1;\n")
    refused(project, "0004_binary.up.sql", "binary")


def test_byte_order_mark(project: Project) -> None:
    project.write("0004_bom.up.sql", b"\xef\xbb\xbfSELECT 1;\n")
    project.write("0004_bom.down.sql", "SELECT 1;\n")
    refused(project, "0004_bom.up.sql:1:1", "byte-order mark")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("SELECT 'open string;\n", ":1:8"),
        ("SELECT 1;\nSELECT \"\"\"never closed;\n", ":2:8"),
        ("SELECT `unterminated.name FROM t;\n", ":1:8"),
        ("SELECT 1; /* open comment\n", ":1:11"),
        ("BEGIN\n  SELECT 1;\n", ":1:1"),
        ("IF TRUE THEN\n  SELECT 1;\n", ":1:1"),
    ],
)
def test_unterminated(project: Project, text: str, where: str) -> None:
    project.write("0004_broken.up.sql", text)
    project.write("0004_broken.down.sql", "SELECT 1;\n")
    refused(project, f"0004_broken.up.sql{where}")


def test_unknown_placeholder(project: Project) -> None:
    project.write("0004_typo.up.sql", "SELECT 1;\nSELECT * FROM `${project}.${datset}.t`;\n")
    project.write("0004_typo.down.sql", "SELECT 1;\n")
    refused(project, "0004_typo.up.sql:2:27", "unknown placeholder ${datset}")


def test_badly_named_file(project: Project) -> None:
    project.write("4_Add Thing.sql", "SELECT 1;\n")
    refused(project, "4_Add Thing.sql", "NNNN_slug.up.sql")


def test_tag_to_missing_version(project: Project) -> None:
    (project.migrations / "tags.toml").write_text("v9 = 9\n", encoding="utf-8")
    refused(project, "tags.toml", "tag v9 points at version 9")


@pytest.mark.parametrize(
    "dataset",
    [
        "eros`; DROP SCHEMA x; --",
        "eros; DELETE FROM t WHERE TRUE",
        "eros' OR '1'='1",
        "eros-with-dash",
    ],
)
def test_dataset_name_cannot_inject(project: Project, dataset: str) -> None:
    config = project.root / "eros-migrate.toml"
    escaped = dataset.replace("\\", "\\\\").replace('"', '\\"')
    config.write_text(f'[targets.local]\nengine = "local"\ndataset = "{escaped}"\n')
    refused(project, "eros-migrate.toml", "not a valid BigQuery dataset name")


def test_dataset_from_environment_cannot_inject(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EROS_MIGRATE_DATASET", "x`; DROP TABLE y; --")
    refused(project, "not a valid BigQuery dataset name")


def test_project_name_cannot_inject(project: Project) -> None:
    config = project.root / "eros-migrate.toml"
    config.write_text('[targets.local]\nengine = "local"\nproject = "p`.x; --"\n')
    refused(project, "not a valid BigQuery project id")


def test_configured_placeholder_cannot_inject(project: Project) -> None:
    config = project.root / "eros-migrate.toml"
    config.write_text("[placeholders]\nregion = \"us'; DROP TABLE t; --\"\n")
    refused(project, "placeholder 'region' has the unsafe value")


def test_invalid_config(project: Project) -> None:
    (project.root / "eros-migrate.toml").write_text("[targets.local\nengine=\n")
    refused(project, "eros-migrate.toml", "invalid TOML")


def test_unknown_target(project: Project) -> None:
    result = project.run("up", "--target", "nowhere")
    assert result.code == 2
    assert "unknown target 'nowhere'" in result.err
    assert not (project.root / ".eros").exists()


def test_unknown_version(project: Project) -> None:
    result = project.run("up", "--to", "v7")
    assert result.code == 2
    assert "'v7' is neither a version nor a tag" in result.err
    assert not (project.root / ".eros").exists()


def test_crlf_line_ends_are_accepted(project: Project) -> None:
    text = "-- windows line ends\r\nSELECT 1;\r\n"
    project.write("0004_crlf.up.sql", text)
    project.write("0004_crlf.down.sql", text)
    result = project.run("up", "--dry-run", "--format", "json")
    assert result.code == 0, result.err
    assert "0004_crlf" in result.out


def test_lint_error_stops_up_and_names_the_rule(project: Project) -> None:
    project.write(
        "0004_hardcoded.up.sql",
        "CREATE TABLE IF NOT EXISTS `of-scheduler-proj.eros_scheduling_brain.t` (a INT64)\n"
        "CLUSTER BY a;\n",
    )
    project.write(
        "0004_hardcoded.down.sql",
        "DROP TABLE IF EXISTS `of-scheduler-proj.eros_scheduling_brain.t`;\n",
    )
    refused(project, "lint reported", "0004_hardcoded.up.sql:1:", "[hardcoded-name]")


def test_unparsable_statement_stops_up(project: Project) -> None:
    project.write("0004_typo.up.sql", "SELEC 1;\n")
    project.write("0004_typo.down.sql", "SELECT 1;\n")
    refused(project, "0004_typo.up.sql:1:", "[parse-error]")
