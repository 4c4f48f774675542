"""Every audit event carries the request id (参考编号) of the request or job that caused it
(issue 17 part 4, docs/decisions/0028). Existing rows get an empty value: their hashes do not
cover the field (audit.services._digest adds it only when present), so the chain verifies as
before. On PostgreSQL the column is added without touching the rows (a constant default), so
the append-only trigger of 0004 is not fired."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_append_only_trigger")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="request_id",
            field=models.CharField(blank=True, max_length=64, verbose_name="参考编号"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["request_id"], name="audit_event_request_idx"),
        ),
    ]
