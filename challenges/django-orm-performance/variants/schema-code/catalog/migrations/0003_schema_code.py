"""Hostile variant: code of the app's own in the probes' database (a trigger and its function).

The probes refuse a schema that holds functions, triggers or rules (REVIEWER.md, trust model):
their writes would run this code; this variant proves the refusal.
"""

from django.db import migrations

_SQL = (
    "CREATE FUNCTION catalog_touch() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RETURN NEW; END $$",
    "CREATE TRIGGER catalog_touch BEFORE INSERT ON catalog_review"
    " FOR EACH ROW EXECUTE FUNCTION catalog_touch()",
)


def _plant(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in _SQL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_indexes"),
    ]

    operations = [migrations.RunPython(_plant, migrations.RunPython.noop)]
