"""The expert's 身份证 number and phone SM4-encrypted at rest (issue 15 part 5, lib/fields.py).

The columns become plain text columns, the rows are sealed (and the ID numbers' blind index
filled), then the fields become encrypted ones and the index unique. Reversible: reverse opens
the values again (with the keys still in PII_KEYS)."""

from django.db import migrations, models

import lib.fields

FIELDS = [("id_number", "id_number", "id_number_index"), ("phone", "phone", None)]
forward, reverse = lib.fields.encrypt_existing("experts.Expert", FIELDS)


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0004_draws"),
    ]

    operations = [
        migrations.AlterField(
            model_name="expert",
            name="id_number",
            field=models.TextField(verbose_name="身份证号码"),
        ),
        migrations.AlterField(
            model_name="expert",
            name="phone",
            field=models.TextField(blank=True, verbose_name="手机号码"),
        ),
        migrations.AddField(
            model_name="expert",
            name="id_number_index",
            field=lib.fields.BlindIndexField(kind="id_number", source="id_number"),
        ),
        migrations.RunPython(forward, reverse, elidable=False),
        migrations.AlterField(
            model_name="expert",
            name="id_number",
            field=lib.fields.EncryptedTextField(
                kind="id_number", max_length=18, verbose_name="身份证号码"
            ),
        ),
        migrations.AlterField(
            model_name="expert",
            name="phone",
            field=lib.fields.EncryptedTextField(
                blank=True, kind="phone", max_length=20, verbose_name="手机号码"
            ),
        ),
        migrations.AlterField(
            model_name="expert",
            name="id_number_index",
            field=lib.fields.BlindIndexField(kind="id_number", source="id_number", unique=True),
        ),
    ]
