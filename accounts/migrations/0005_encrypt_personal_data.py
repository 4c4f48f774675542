"""Accounts' emails and phones and the individual applicants' 身份证 numbers SM4-encrypted at rest
(issue 15 part 5, lib/fields.py).

The columns become plain text columns, the rows are sealed (and the ID numbers' blind index
filled), then the fields become encrypted ones and the index unique (the uniqueness the plain
column had). Reversible: reverse opens the values again (with the keys still in PII_KEYS)."""

from django.db import migrations, models

import lib.fields

USER_FIELDS = [("email", "email", None), ("phone", "phone", None)]
INDIVIDUAL_FIELDS = [("id_number", "id_number", "id_number_index")]
users_forward, users_reverse = lib.fields.encrypt_existing("accounts.User", USER_FIELDS)
people_forward, people_reverse = lib.fields.encrypt_existing(
    "accounts.Individual", INDIVIDUAL_FIELDS
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_password_lifecycle"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="email",
            field=models.TextField(blank=True, verbose_name="电子邮箱"),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=models.TextField(blank=True, verbose_name="手机号码"),
        ),
        migrations.AlterField(
            model_name="individual",
            name="id_number",
            field=models.TextField(verbose_name="身份证号码"),
        ),
        migrations.AddField(
            model_name="individual",
            name="id_number_index",
            field=lib.fields.BlindIndexField(kind="id_number", source="id_number"),
        ),
        migrations.RunPython(users_forward, users_reverse, elidable=False),
        migrations.RunPython(people_forward, people_reverse, elidable=False),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=lib.fields.EncryptedTextField(
                blank=True, kind="email", max_length=254, verbose_name="电子邮箱"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=lib.fields.EncryptedTextField(
                blank=True, kind="phone", max_length=20, verbose_name="手机号码"
            ),
        ),
        migrations.AlterField(
            model_name="individual",
            name="id_number",
            field=lib.fields.EncryptedTextField(
                kind="id_number", max_length=18, verbose_name="身份证号码"
            ),
        ),
        migrations.AlterField(
            model_name="individual",
            name="id_number_index",
            field=lib.fields.BlindIndexField(kind="id_number", source="id_number", unique=True),
        ),
    ]
