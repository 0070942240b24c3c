"""Alembic environment: runs on the connection (and transaction) the workbench hands it."""

from alembic import context

from bi_workbench.schema.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table="schema_version",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
