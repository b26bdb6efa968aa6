# The daily tallies now keep a row for every grid above a case's grid too (its whole subtree), read by the
# grid first. Rows kept before counted the case's own grid only: every day they cover is marked, and the
# periodic refresh recounts the marked days (or `wangge manage rebuild_case_tallies` at once).

from django.db import migrations, models


def mark_every_day(apps, schema_editor):
    CaseTally = apps.get_model("cases", "CaseTally")
    TallyDay = apps.get_model("cases", "TallyDay")
    days = CaseTally.objects.values_list("day", flat=True).distinct()
    TallyDay.objects.bulk_create([TallyDay(day=d) for d in days], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_daily_tallies"),
        ("grids", "0002_boundary_and_parent_history"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="casetally", name="case_tally_unique"),
        migrations.AddConstraint(
            model_name="casetally",
            constraint=models.UniqueConstraint(
                fields=("grid", "day", "key", "category"), name="case_tally_grid_day"
            ),
        ),
        migrations.RunPython(mark_every_day, migrations.RunPython.noop),
    ]
