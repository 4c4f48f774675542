"""The attachments' bytes SM4-encrypted at rest (issue 15 part 5): the uploads are stored by
`config.storage.EncryptedFileSystemStorage` from now on; this encrypts the files stored before
(in place, idempotent). Reverse decrypts them (with the keys still in PII_KEYS)."""

from django.db import migrations

import lib.fields

forward, reverse = lib.fields.encrypt_stored_files("intake.Attachment", "file")


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0008_recorded_holder"),
    ]

    operations = [
        migrations.RunPython(forward, reverse, elidable=False),
    ]
