"""An objection sent again is recognized (issue 16 part 3): `Objection.fingerprint`, a keyed
HMAC of the entry, name, contact and content, unique per notice. The rows filed before get
theirs (the computation of `decision.services.objection_fingerprint` as it was written then);
a row repeating an earlier one of its notice keeps a blank fingerprint, so the constraint
holds and nothing is deleted. Reverse drops the column."""

import re

from django.db import migrations, models

_SPACES = re.compile(r"\s+")
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _plain(text):
    return _SPACES.sub("", (text or "").translate(_HALF_WIDTH)).casefold()


def _fingerprint(objection):
    from lib import phone
    from lib.crypto import blind_index

    try:
        written = phone.validate_contact(objection.contact)
    except phone.InvalidPhone:
        written = objection.contact
    parts = [
        str(objection.proposal_id),
        str(objection.entry.position) if objection.entry_id else "",
        _plain(objection.name),
        _plain(written),
        _plain(objection.content),
    ]
    return blind_index("\x1f".join(parts), kind="objection")


def forward(apps, schema_editor):
    Objection = apps.get_model("decision", "Objection")
    seen = set()
    for objection in Objection.objects.select_related("entry").order_by("filed_at", "pk"):
        key = (objection.proposal_id, _fingerprint(objection))
        if key in seen:
            continue  # a repeat filed before this migration: left as it is, unmarked
        seen.add(key)
        Objection.objects.filter(pk=objection.pk).update(fingerprint=key[1])


class Migration(migrations.Migration):
    dependencies = [
        ("decision", "0005_encrypt_files"),
    ]

    operations = [
        migrations.AddField(
            model_name="objection",
            name="fingerprint",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="重复识别码"
            ),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="objection",
            constraint=models.UniqueConstraint(
                condition=models.Q(("fingerprint", ""), _negated=True),
                fields=("proposal", "fingerprint"),
                name="decision_objection_once_per_notice",
            ),
        ),
    ]
