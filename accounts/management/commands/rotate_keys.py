"""`manage.py rotate_keys`: every encrypted value and stored upload under the current key.

Key rotation (lib/crypto.py, docs/deployment.md): put the new SM4 key FIRST in PII_KEYS (keep
the old ones after it), restart, run this command, then remove the old keys. The command
re-encrypts every `EncryptedTextField` value and every stored upload (the FileFields of the
encrypted storage) that is not yet under the current key, and recomputes every blind index
with the current BLIND_INDEX_KEY (so changing that key is this command too: in a maintenance
window, lookups miss the rows not yet recomputed).

It finds the fields by itself (every installed model), so it lives in the lowest app that has
commands and imports no higher one. Resumable and idempotent: rows are rewritten in batches,
each in its own transaction, and a row or a file already under the current key with its
correct index is left alone; a second run changes nothing. ``--dry-run`` only counts. A run
that changed anything writes one `accounts.keys.rotate` audit event (the key id and the
counts: never a key or a value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, TextField

from audit.services import record
from lib import crypto
from lib.fields import BlindIndexField, EncryptedTextField


@dataclass
class Report:
    rows: int = 0  # rows rewritten (or to rewrite, in a dry run)
    values: int = 0  # encrypted values not under the current key
    indexes: int = 0  # blind indexes that were stale
    files: int = 0  # stored uploads not under the current key
    missing_files: int = 0
    by_model: dict[str, int] = field(default_factory=dict)


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    found = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField) and getattr(f.storage, "encrypts_at_rest", False):
                found.append((model, f))
    return found


def _rotate_model(
    model: type[models.Model], fields: list[EncryptedTextField], *, dry_run: bool, batch: int
) -> Report:
    report = Report()
    indexes = {
        f.source: f
        for f in model._meta.concrete_fields
        if isinstance(f, BlindIndexField) and f.source in {e.name for e in fields}
    }
    # The stored tokens as they are (a TextField expression: no decryption on the way out).
    raw = {f"_raw_{f.name}": ExpressionWrapper(F(f.name), output_field=TextField()) for f in fields}
    names = list(raw) + [f.name for f in indexes.values()]
    manager = model._base_manager
    last = None
    while True:
        page = manager.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        rows = list(page.annotate(**raw).values("pk", *names)[:batch])
        if not rows:
            return report
        last = rows[-1]["pk"]
        changes: list[tuple[Any, dict[str, str]]] = []
        for row in rows:
            change: dict[str, str] = {}
            for f in fields:
                token = row[f"_raw_{f.name}"] or ""
                plain = (
                    crypto.decrypt_text(token, purpose=f.purpose)
                    if crypto.is_encrypted_text(token)
                    else token
                )
                if crypto.needs_rotation(token):
                    change[f.name] = plain  # the field encrypts it under the current key
                    report.values += 1
                if (index := indexes.get(f.name)) is not None:
                    fresh = crypto.blind_index(plain, kind=index.kind)
                    if row[index.name] != fresh:
                        change[index.name] = fresh
                        report.indexes += 1
            if change:
                changes.append((row["pk"], change))
        report.rows += len(changes)
        if changes and not dry_run:
            with transaction.atomic():
                for pk, change in changes:
                    manager.filter(pk=pk).update(**change)


def _rotate_files(*, dry_run: bool) -> Report:
    report = Report()
    for model, f in file_fields():
        names = model._base_manager.exclude(**{f.name: ""}).values_list(f.name, flat=True)
        for name in names.iterator(1000):
            path = Path(f.storage.path(name))
            if not path.is_file():
                report.missing_files += 1
                continue
            if crypto.file_needs_rotation(path):
                report.files += 1
                if not dry_run:
                    crypto.seal_file(path)
    return report


def rotate(*, dry_run: bool = False, batch: int = 500) -> Report:
    """Re-encrypt what is not under the current key and recompute stale indexes (see above)."""
    total = Report()
    for model, fields in encrypted_models():
        part = _rotate_model(model, fields, dry_run=dry_run, batch=batch)
        total.rows += part.rows
        total.values += part.values
        total.indexes += part.indexes
        if part.rows:
            total.by_model[model._meta.label] = part.rows
    # Keyed fingerprints derived from several columns (decision.Objection's) are recomputed by
    # their model's own `refresh_fingerprints`, found through the registry (no import upward).
    for model in apps.get_models():
        if (refresh := getattr(model, "refresh_fingerprints", None)) is not None:
            with transaction.atomic():
                if stale := refresh(dry_run=dry_run):
                    total.indexes += stale
                    total.rows += stale
                    total.by_model[model._meta.label] = (
                        total.by_model.get(model._meta.label, 0) + stale
                    )
    files = _rotate_files(dry_run=dry_run)
    total.files, total.missing_files = files.files, files.missing_files
    if not dry_run and (total.rows or total.files):
        with transaction.atomic():
            record(
                actor=None,
                role="system",
                action="accounts.keys.rotate",
                after={
                    "key_id": crypto.key_ring().current,
                    "rows": total.rows,
                    "encrypted_values": total.values,
                    "blind_indexes": total.indexes,
                    "files": total.files,
                },
                reason="密钥轮换",
            )
    return total


class Command(BaseCommand):
    help = (
        "密钥轮换：把所有加密存储的个人信息和上传文件改用 PII_KEYS 的第一个密钥重新加密，并用当前 "
        "BLIND_INDEX_KEY 重算盲索引。可中断后重跑（已完成的不再处理）；--dry-run 只统计。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只统计需要处理的数量，不修改")
        parser.add_argument("--batch", type=int, default=500, help="每个事务处理的行数")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        report = rotate(dry_run=dry_run, batch=options["batch"])
        current = crypto.key_ring().current
        verb = "需要重新加密" if dry_run else "已重新加密"
        lines = [
            f"当前密钥：{current}。",
            f"{verb}：数据 {report.rows} 行（字段值 {report.values} 个，盲索引 "
            f"{report.indexes} 个），文件 {report.files} 个。",
        ]
        lines += [f"  {label}：{n} 行" for label, n in sorted(report.by_model.items())]
        if report.missing_files:
            lines.append(f"注意：{report.missing_files} 个附件记录的文件不存在（未处理）。")
        if not dry_run and (report.rows or report.files):
            lines.append("已记入审计日志。确认无误后，可从 PII_KEYS 中删除旧密钥。")
        elif not dry_run:
            lines.append("全部数据已在当前密钥下，无需处理。")
        self.stdout.write("\n".join(lines))
