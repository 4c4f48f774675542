"""The objector's name, identity and contact SM4-encrypted at rest (issue 15 part 5,
lib/fields.py): the columns become plain text, the rows are sealed, then the fields become
encrypted ones. Reverse opens them again (with the keys still in PII_KEYS)."""

from django.db import migrations, models

import lib.fields

FIELDS = [("name", "text", None), ("identity", "text", None), ("contact", "text", None)]
forward, reverse = lib.fields.encrypt_existing("decision.Objection", FIELDS)


class Migration(migrations.Migration):
    dependencies = [
        ("decision", "0003_recorded_holder"),
    ]

    operations = [
        migrations.AlterField(
            model_name="objection", name="name", field=models.TextField(verbose_name="姓名")
        ),
        migrations.AlterField(
            model_name="objection",
            name="identity",
            field=models.TextField(verbose_name="身份或单位"),
        ),
        migrations.AlterField(
            model_name="objection",
            name="contact",
            field=models.TextField(verbose_name="联系方式"),
        ),
        migrations.RunPython(forward, reverse, elidable=False),
        migrations.AlterField(
            model_name="objection",
            name="name",
            field=lib.fields.EncryptedTextField(max_length=50, verbose_name="姓名"),
        ),
        migrations.AlterField(
            model_name="objection",
            name="identity",
            field=lib.fields.EncryptedTextField(max_length=200, verbose_name="身份或单位"),
        ),
        migrations.AlterField(
            model_name="objection",
            name="contact",
            field=lib.fields.EncryptedTextField(max_length=100, verbose_name="联系方式"),
        ),
    ]
