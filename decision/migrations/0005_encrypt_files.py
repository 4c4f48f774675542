"""The approval documents' and the objection evidence's bytes SM4-encrypted at rest (issue 15
part 5): the uploads are stored by `config.storage.EncryptedFileSystemStorage` from now on; this
encrypts the files stored before (in place, idempotent). Reverse decrypts them."""

from django.db import migrations

import lib.fields

approvals_forward, approvals_reverse = lib.fields.encrypt_stored_files(
    "decision.ApprovalAttachment", "file"
)
evidence_forward, evidence_reverse = lib.fields.encrypt_stored_files(
    "decision.ObjectionEvidence", "file"
)


class Migration(migrations.Migration):
    dependencies = [
        ("decision", "0004_encrypt_objector"),
    ]

    operations = [
        migrations.RunPython(approvals_forward, approvals_reverse, elidable=False),
        migrations.RunPython(evidence_forward, evidence_reverse, elidable=False),
    ]
