"""SQL cells: `%load_ext bi_workbench` in a real kernel gives %sql / %%sql on the workbench's engine, as DataFrames."""

from __future__ import annotations

import sqlalchemy as sa

from tests.kernelclient import kernel, printed, run


def test_sql_cells_run_on_the_workbench_engine_and_return_dataframes(schema_database):
    with schema_database.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (email, first_name, last_name, industry) VALUES "
                             "('a@x.test', 'A', 'A', 'SaaS'), ('b@x.test', 'B', 'B', 'Retail')"))
    url = schema_database.url.render_as_string(hide_password=False)
    with kernel(BI_WORKBENCH_DATABASE_URL=url) as client:
        run(client, "%load_ext bi_workbench")
        run(client, "frame = %sql SELECT industry, count(*) AS users FROM users GROUP BY 1 ORDER BY 1")
        assert printed(run(client, "print(type(frame).__name__, frame.to_dict('records'))")) == \
            "DataFrame [{'industry': 'Retail', 'users': 1}, {'industry': 'SaaS', 'users': 1}]\n"
        run(client, "%%sql cell <<\nSELECT count(*) AS n FROM users")
        assert printed(run(client, "print(int(cell['n'][0]))")) == "2\n"
