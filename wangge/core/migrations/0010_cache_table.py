"""The shared cache's table (settings.CACHES: the database cache unless Redis is configured)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0009_periodic_slots")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
