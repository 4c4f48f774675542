from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit import anchors


class Command(BaseCommand):
    help = (
        "写入审计链检查点：链头的序号、哈希、事件数与时间，以 HMAC-SM3（密钥 AUDIT_ANCHOR_KEY）"
        "签名，追加到 AUDIT_ANCHOR_DIR/anchors.jsonl 并通知纪律监督员。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        cp = anchors.write(reason="manage.py audit_anchor")
        self.stdout.write(
            self.style.SUCCESS(
                f"已写入{cp.label}：哈希 {cp.hash}，共 {cp.count} 条事件，"
                f"文件 {anchors.path()} 第 {len(anchors.read().checkpoints)} 个检查点。"
            )
        )
