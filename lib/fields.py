"""Model fields for personal data encrypted at rest (lib/crypto.py; issue 15 part 5).

`EncryptedTextField` holds an identity number, a phone, an email or a contact: the Python value
is the plaintext, the column (a text column) holds ``sm4g1$<kid>$…`` sealed under the current
key of PII_KEYS with the column's name (``app.model.field``) as associated data. Reading a value
that does not verify raises `lib.crypto.DecryptionError` (fails closed). The database cannot
compare plaintexts, so the field refuses every lookup but ``isnull`` and ``= ""`` with an error
that names the blind index to use instead.

`BlindIndexField` is its companion where a value must be unique or found: ``<name>_index``, a
64-character HMAC-SM3 of the normalised value (lib.crypto.blind_index), filled whenever the row
is saved (its `pre_save` reads the plaintext from the instance: one home, nothing to call), and
unique where the plain column was. Look up with ``Model.objects.filter(<name>_index=
blind_index(value, kind=...))``, or through the model's selector (e.g.
`accounts.selectors.individual_by_id_number`).

Caveats a developer must know: ``QuerySet.update(<name>=...)`` and ``bulk_update`` do not run
`pre_save`, so they would leave the index stale: change these values through ``save()``.
``save(update_fields=[...])`` naming the value must name its index too (checked: refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact
from django.db.models.signals import pre_save

from lib import crypto, idcard
from lib.masking import mask_mobile

KINDS = ("id_number", "phone", "email", "text")

__all__ = ["KINDS", "BlindIndexField", "EncryptedTextField", "masked"]


def _mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at:
        return "*" * len(value)
    return f"{local[:1]}***@{domain}"


def masked(value: str, *, kind: str) -> str:
    """The value as an audit event, a log or a page may show it: never the whole of it."""
    if not value:
        return value or ""
    if kind == "id_number":
        return idcard.mask(value)
    if kind == "phone":
        shown = mask_mobile(value)
        return shown if shown != value else value[:3] + "*" * max(len(value) - 3, 0)
    if kind == "email":
        return _mask_email(value)
    return value[:1] + "*" * (len(value) - 1)


class _EmptyOnlyExact(Exact):
    """``field = ""``: an empty value is stored empty (so this is meaningful); anything else is
    refused, the stored form being a random-nonce ciphertext."""

    def __init__(self, lhs: Any, rhs: Any) -> None:
        if rhs not in ("", None):
            field = lhs.output_field
            raise FieldError(field.refusal("exact"))
        super().__init__(lhs, rhs)


class EncryptedTextField(models.TextField):
    """A text value stored SM4-GCM encrypted; `kind` says how it is normalised for its index
    and masked ("id_number", "phone", "email", "text")."""

    description = "SM4-GCM 加密存储的文本"

    def __init__(self, *args: Any, kind: str = "text", **kwargs: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        self.kind = kind
        self.purpose = ""
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.kind != "text":
            kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        # The column, bound as associated data: a ciphertext copied elsewhere does not decrypt.
        self.purpose = f"{cls._meta.label_lower}.{name}"

    # --- values ---------------------------------------------------------------------------

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt_text(value, purpose=self.purpose)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt_text(value, purpose=self.purpose)

    def mask(self, value: str) -> str:
        return masked(value, kind=self.kind)

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        # A one-line input (a TextField would give a textarea); an email is checked as one.
        defaults: dict[str, Any] = {"max_length": self.max_length, "widget": forms.TextInput}
        if self.kind == "email":
            defaults["form_class"] = forms.EmailField
        return super().formfield(**{**defaults, **kwargs})

    # --- lookups: through the blind index -------------------------------------------------

    def refusal(self, lookup: str) -> str:
        model = getattr(self, "model", None)
        where = f"{model.__name__}.{self.name}" if model else self.name
        index = next(
            (
                f.name
                for f in (model._meta.fields if model else ())
                if isinstance(f, BlindIndexField) and f.source == self.name
            ),
            None,
        )
        hint = (
            f'请改用盲索引：filter({index}=lib.crypto.blind_index(值, kind="{self.kind}"))'
            if index
            else "该字段没有盲索引，不能作为查询条件"
        )
        return f"{where} 加密存储，数据库中无法按值比较（{lookup}）；{hint}。"

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _EmptyOnlyExact
        raise FieldError(self.refusal(lookup_name))

    def get_transform(self, lookup_name: str) -> Any:
        raise FieldError(self.refusal(lookup_name))


class BlindIndexField(models.CharField):
    """HMAC-SM3 of another field's normalised plaintext (lib.crypto.blind_index), filled on
    every save; unique where the plain value must be."""

    description = "盲索引（HMAC-SM3）"

    def __init__(self, *args: Any, source: str, kind: str, **kwargs: Any) -> None:
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        for key, default in (("max_length", 64), ("editable", False), ("blank", True)):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        if kwargs.get("default") == "":
            kwargs.pop("default")
        return name, path, args, kwargs

    def value_for(self, instance: models.Model) -> str:
        return crypto.blind_index(getattr(instance, self.source) or "", kind=self.kind)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self.value_for(model_instance)
        setattr(model_instance, self.attname, value)
        return value

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        # Not for the historical models of migrations (module __fake__): they are rebuilt often.
        if not cls._meta.abstract and cls.__module__ != "__fake__":
            pre_save.connect(self._check_update_fields, sender=cls, weak=False)

    def _check_update_fields(
        self, sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any
    ) -> None:
        if update_fields and self.source in update_fields and self.name not in update_fields:
            raise FieldError(
                f"{sender.__name__}.save(update_fields=…) 含 {self.source} 时须同时含 "
                f"{self.name}（盲索引随值更新）。"
            )


# --- data migrations: encrypt the rows written before -----------------------------------------


def encrypt_existing(label: str, fields: list[tuple[str, str, str | None]]) -> tuple[Any, Any]:
    """RunPython (forward, reverse) for the data migration that follows a field's change to
    `EncryptedTextField`. `label` is ``"app.Model"``; `fields` are (field, kind, index field or
    None). The historical model there holds the column as a plain TextField.

    Forward seals every plaintext value under the current key and fills its index; a value
    already sealed is left as it is (idempotent; its index is filled). Reverse opens them again
    and empties the indexes."""
    app_label, model_name = label.split(".")

    def rows(apps: Any) -> tuple[Any, Any]:
        model = apps.get_model(app_label, model_name)
        names = [name for name, _kind, _index in fields]
        return model, model._base_manager.values_list("pk", *names).order_by("pk").iterator(1000)

    def purpose(name: str) -> str:
        return f"{label.lower()}.{name}"

    def forward(apps: Any, schema_editor: Any) -> None:
        model, found = rows(apps)
        for pk, *values in found:
            changes: dict[str, str] = {}
            for (name, kind, index), value in zip(fields, values, strict=True):
                value = value or ""
                if crypto.is_encrypted_text(value):
                    plain = crypto.decrypt_text(value, purpose=purpose(name))
                else:
                    plain = value
                    changes[name] = crypto.encrypt_text(value, purpose=purpose(name))
                if index:
                    changes[index] = crypto.blind_index(plain, kind=kind)
            if changes:
                model._base_manager.filter(pk=pk).update(**changes)

    def reverse(apps: Any, schema_editor: Any) -> None:
        model, found = rows(apps)
        for pk, *values in found:
            changes: dict[str, str] = {}
            for (name, _kind, index), value in zip(fields, values, strict=True):
                if crypto.is_encrypted_text(value or ""):
                    changes[name] = crypto.decrypt_text(value, purpose=purpose(name))
                if index:
                    changes[index] = ""
            if changes:
                model._base_manager.filter(pk=pk).update(**changes)

    return forward, reverse


def encrypt_stored_files(label: str, field: str) -> tuple[Any, Any]:
    """RunPython (forward, reverse) that encrypts in place the stored file of every row of
    ``"app.Model"`` (its FileField `field`, under MEDIA_ROOT), when the uploads move to
    `config.storage.EncryptedFileSystemStorage`. Idempotent (the magic header says which files
    are done); a missing file is skipped. Reverse decrypts them."""
    app_label, model_name = label.split(".")

    def paths(apps: Any) -> Iterator[Path]:
        model = apps.get_model(app_label, model_name)
        root = Path(settings.MEDIA_ROOT)
        for name in model._base_manager.values_list(field, flat=True).iterator(1000):
            if name and (path := root / name).is_file():
                yield path

    def forward(apps: Any, schema_editor: Any) -> None:
        for path in paths(apps):
            with path.open("rb") as f:
                done = crypto.is_encrypted(f.read(len(crypto.MAGIC)))
            if not done:  # a file already encrypted stays under its key (rotate_keys moves it)
                crypto.seal_file(path)

    def reverse(apps: Any, schema_editor: Any) -> None:
        for path in paths(apps):
            crypto.unseal_file(path)

    return forward, reverse
