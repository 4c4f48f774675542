"""Roles and recommending units held in an award program (decision 0030).

Existing units and program-scoped roles (Office, supervisors, committee) belong to the default
program, the only one there was."""

import django.db.models.deletion
from django.db import migrations, models

PROGRAM_ROLES = ["office", "supervisor", "committee", "province"]


def to_default_program(apps, schema_editor):  # type: ignore[no-untyped-def]
    AwardProgram = apps.get_model("programs", "AwardProgram")
    RecommendingUnit = apps.get_model("accounts", "RecommendingUnit")
    RoleAssignment = apps.get_model("accounts", "RoleAssignment")
    program = (
        AwardProgram.objects.filter(is_default=True).first()
        or AwardProgram.objects.order_by("pk").first()
    )
    pending = (
        RecommendingUnit.objects.exists()
        or RoleAssignment.objects.filter(role__in=PROGRAM_ROLES).exists()
    )
    if program is None:
        if pending:
            raise RuntimeError(
                "数据库中有推荐单位或委员会办公室等角色，却没有任何奖项：请先载入奖项方案包。"
            )
        return
    RecommendingUnit.objects.update(program=program)
    RoleAssignment.objects.filter(role__in=PROGRAM_ROLES).update(program=program)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_encrypt_personal_data"),
        ("programs", "0010_default_program"),
    ]

    operations = [
        migrations.AddField(
            model_name="recommendingunit",
            name="program",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="recommending_units",
                to="programs.awardprogram",
                verbose_name="奖项",
            ),
        ),
        migrations.AddField(
            model_name="roleassignment",
            name="program",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="programs.awardprogram",
                verbose_name="奖项",
            ),
        ),
        migrations.RunPython(to_default_program, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="recommendingunit",
            name="program",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="recommending_units",
                to="programs.awardprogram",
                verbose_name="奖项",
            ),
        ),
        migrations.AlterField(
            model_name="recommendingunit",
            name="name",
            field=models.CharField(max_length=100, verbose_name="名称"),
        ),
    ]
