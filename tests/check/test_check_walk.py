"""How check walks a chain: each down against the state its up left, then the next up."""

from __future__ import annotations

from pathlib import Path

from eros_migrate.chain import load_chain
from eros_migrate.check import check_chain
from eros_migrate.check.analyzer import Analyzer
from eros_migrate.config import load_settings
from eros_migrate.findings import Finding

T = "`${project}.${dataset}.t`"
CHAIN = {
    "0001_t.up.sql": f"CREATE TABLE {T} (a INT64);\nSELECT a FROM {T};\n",
    "0001_t.down.sql": f"DROP TABLE {T};\n",
    "0002_b.up.sql": f"ALTER TABLE {T} ADD COLUMN b STRING;\nSELECT b FROM {T};\n",
    "0002_b.down.sql": f"SELECT b FROM {T};\nALTER TABLE {T} DROP COLUMN b;\nSELECT b FROM {T};\n",
    "0003_c.up.sql": f"SELECT a, b FROM {T};\n",
    "0003_c.down.sql": f"DROP TABLE {T};\nDROP TABLE {T};\n",
}


def run(tmp_path: Path, analyzer: Analyzer, chain: dict[str, str]) -> list[Finding]:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in chain.items():
        (folder / name).write_text(text, encoding="utf-8")
    (tmp_path / "eros-migrate.toml").write_text('[targets.local]\nengine = "local"\n')
    settings = load_settings(tmp_path, environment={})
    return check_chain(
        settings, load_chain(folder), settings.target(None), analyzer=analyzer,
        reuse_results=False,
    )


def test_downs_see_their_up_and_the_next_up_sees_the_up_state(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    findings = run(tmp_path, analyzer, CHAIN)

    where = [(Path(finding.file).name, finding.line) for finding in findings]
    # 0002's down uses b after dropping it; 0003's down drops t twice. The next up (0003)
    # still sees b, because downs do not leak into the state the ups build.
    assert where == [("0002_b.down.sql", 3), ("0003_c.down.sql", 2)]
    assert "Unrecognized name: b" in findings[0].message
    assert "does not exist at this point" in findings[1].message


def test_a_migration_follows_the_first_branch_of_its_if(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    """A re-run guard: on the first run the IF's body runs, so the old table is gone and the
    new shape is created; what follows sees the new columns."""
    chain = {
        "0001_t.up.sql": f"CREATE TABLE {T} (a INT64);\n",
        "0001_t.down.sql": f"DROP TABLE {T};\n",
        "0002_reshape.up.sql": (
            "IF TRUE THEN\n"
            f"  DROP TABLE IF EXISTS {T};\n"
            "END IF;\n"
            f"CREATE TABLE IF NOT EXISTS {T} (a INT64, b STRING);\n"
            f"SELECT b FROM {T};\n"
        ),
        "0002_reshape.down.sql": f"SELECT b FROM {T};\n",
    }
    assert run(tmp_path, analyzer, chain) == []
