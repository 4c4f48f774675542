"""One default program (decision 0030): the program of the unprefixed public URLs and of
whatever acts without naming a program. The oldest program becomes it."""

from django.db import migrations, models


def flag_oldest(apps, schema_editor):  # type: ignore[no-untyped-def]
    AwardProgram = apps.get_model("programs", "AwardProgram")
    first = AwardProgram.objects.order_by("pk").first()
    if first is not None:
        AwardProgram.objects.filter(pk=first.pk).update(is_default=True)


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0009_construction_accidents_limit"),
    ]

    operations = [
        migrations.AddField(
            model_name="awardprogram",
            name="is_default",
            field=models.BooleanField(default=False, verbose_name="默认奖项"),
        ),
        migrations.RunPython(flag_oldest, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="awardprogram",
            constraint=models.UniqueConstraint(
                condition=models.Q(is_default=True),
                fields=("is_default",),
                name="one_default_program",
                violation_error_message="只能有一个默认奖项。",
            ),
        ),
    ]
