"""The benchmark command's plumbing: sections run on scratch databases and render side by side (no timing asserts)."""

import json

import sqlalchemy as sa

from bi_workbench.bench import comparison_rows, render, run_benchmarks
from tests.test_cli import run_cli


def _databases(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT datname FROM pg_database")).scalars())


def test_migration_and_dashboard_sections_run_and_leave_no_database_behind(schema_database):
    before = _databases(schema_database)
    figures = run_benchmarks(schema_database, ("migration", "dashboard"), migration_scale="small",
                             dashboard_scales=("small",))
    assert _databases(schema_database) == before
    assert figures["migration"]["check_ok"] and figures["migration"]["legacy_rows"] > 1000
    assert figures["migration"]["migrate_rows_per_s"] > 0
    assert figures["dashboard"]["small"]["ours"]["samples"] > 0
    rows = comparison_rows(figures)
    assert [r["baseline"] for r in rows] == ["plain copy of the rows (rows/s)", "the seed's view"]
    table = render(rows)
    assert "get_user_dashboard p95, small" in table and "seed/ours" in table


def test_the_loader_rows_put_the_default_and_the_arrow_load_beside_each_baseline():
    seconds = {"copy_binary": 1.0, "default": 1.2, "pyarrow": 1.1, "objects": 3.0, "read_sql": 12.0,
               "connectorx_arrow": 1.5, "connectorx_pandas": 2.0}
    ratios = {"default_vs_copy": 1.2, "pyarrow_vs_copy": 1.1, "objects_vs_copy": 3.0, "read_sql_vs_default": 10.0,
              "connectorx_pandas_vs_default": 1.67, "connectorx_arrow_vs_pyarrow": 1.36}
    rows = comparison_rows({"loaders": {"rows": 1_000_000, "seconds": seconds, "ratios": ratios}})
    pairs = [(r["figure"].split(",")[0], r["baseline"], r["met"]) for r in rows]
    assert pairs == [
        ("load() default", "bare binary COPY", True), ("load(dtype_backend='pyarrow')", "bare binary COPY", True),
        ("load(uuid_as='uuid'", "bare binary COPY", None), ("load() default", "pandas.read_sql", True),
        ("load() default", "ConnectorX (pandas)", True), ("load(dtype_backend='pyarrow')", "ConnectorX (Arrow)", True),
    ]
    assert "| -" not in render(rows) and render(rows).splitlines()[3].rstrip().endswith("-")


def test_the_bench_command_prints_the_table_and_writes_json(schema_database, tmp_path):
    out_file = tmp_path / "bench.json"
    url = schema_database.url.render_as_string(hide_password=False)
    code, out, err = run_cli("bench", "--only", "migration", "--migration-scale", "small", "--json", str(out_file),
                             env_url=url)
    assert code == 0, err
    assert out.splitlines()[0].split()[:2] == ["figure", "ours"] and "migrate small" in out
    written = json.loads(out_file.read_text())
    assert written["figures"]["migration"]["check_ok"] is True
    assert written["comparison"][0]["baseline"] == "plain copy of the rows (rows/s)"
    code, _, err = run_cli("bench", "--only", "migration", "--migration-scale", "small",
                           "--json", str(tmp_path / "missing" / "x.json"), env_url=url)
    assert code != 0 and err.startswith("error: cannot write --json") and "is not a writable folder" in err
    assert "Traceback" not in err and "migration:" not in err  # refused before measuring anything
    code, _, err = run_cli("bench", "--only", "nonsense", env_url=url)
    assert code == 2 and "Invalid value for '--only'" in err
