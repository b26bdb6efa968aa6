# Each household's next visit, kept beside its duties (fieldwork.due), filled from the duties there are:
# one INSERT … SELECT, as a city's half million households would take minutes row by row.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fieldwork", "0002_client_id_per_sender"),
        ("registry", "0019_person_status_grid_cover"),
    ]

    operations = [
        migrations.CreateModel(
            name="HouseholdDue",
            fields=[
                (
                    "household",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="registry.household",
                        verbose_name="户",
                    ),
                ),
                ("first_due", models.DateField(db_index=True, verbose_name="最早应访日期")),
            ],
            options={
                "verbose_name": "户下次应访",
                "verbose_name_plural": "户下次应访",
            },
        ),
        migrations.RunSQL(
            """
            INSERT INTO fieldwork_householddue (household_id, first_due)
            SELECT d.household_id, MIN(d.due_on) FROM fieldwork_duty d
            INNER JOIN fieldwork_visitrule r ON r.id = d.rule_id
            WHERE r.active GROUP BY d.household_id
            """,
            migrations.RunSQL.noop,
        ),
    ]
