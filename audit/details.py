"""An event's details (before/after) as people read them: Chinese keys and values, numbers masked.

`describe(events)` turns each event's `before`/`after` into lines (label, text) for the trail
page and the Excel export, the one place where keys get their Chinese names (`KEY_LABELS`), a
requirement ID reads 第二十三条, a state or kind code reads as its label (the choices of the
model field of that name: the event's own model first), an expert, unit, organization or user
key reads as a name (one query per kind on a page of events), and every text passes through
`lib.masking.mask` (mobile and identity numbers).

The audit app sits below the others: models are looked up through the app registry, never
imported.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

from lib.articles import cite, cite_all
from lib.masking import mask

from .models import AuditEvent

KEY_LABELS: dict[str, str] = {
    "again": "重新抽取",
    "amount": "金额（元）",
    "announced_on": "公布日期",
    "announcement": "公告",
    "application": "申报",
    "applications": "申报数",
    "approval": "审定",
    "articles": "依据条款",
    "attachment": "附件",
    "attachments": "附件",
    "at": "时间",
    "assignment": "角色授予",
    "attempts": "已尝试次数",
    "attempts_removed": "清除的失败次数",
    "award": "获奖记录",
    "awards": "获奖记录",
    "body": "审定机关",
    "category": "类别",
    "channel": "渠道",
    "committee_review": "委员会审议",
    "confirmed": "经核实的条件",
    "confirmed_on": "确认日期",
    "created_at": "签发时间",
    "cycle": "年度",
    "count": "数量",
    "data_sha256": "申报数据摘要",
    "days": "天数",
    "decided_on": "决定日期",
    "decision": "审查结论",
    "decision_ref": "决定文号",
    "direction": "评价方向",
    "document_number": "文号",
    "draw": "随机抽取",
    "due": "期限",
    "eligibility": "资格条件核验",
    "email": "电子邮箱",
    "employer": "工作单位",
    "ends_on": "结束日期",
    "entries": "名单",
    "entry": "名单条目",
    "evaluated": "已评价数",
    "evaluation": "综合评价",
    "evidence_discipline": "遵纪守法情况",
    "evidence_policy": "政策水平",
    "evidence_practice": "从业经历",
    "evidence_training": "培训经历",
    "expert": "专家",
    "experts": "专家数",
    "expires_at": "有效期至",
    "factor": "验证方式",
    "file": "文件",
    "full_name": "姓名",
    "hash": "哈希",
    "id_number": "身份证号码",
    "industries": "熟悉行业",
    "items": "评分项",
    "job": "后台任务编号",
    "key": "标识",
    "kind": "类型",
    "last_used_at": "最近使用时间",
    "late": "逾期",
    "leader": "组长",
    "length": "字数",
    "level": "奖项等级",
    "material_review": "材料评审",
    "max_load": "最大承担数",
    "method": "请求方式",
    "must_change_password": "须修改密码",
    "name": "名称",
    "notice": "公示",
    "notice_ref": "公示文号",
    "on": "日期",
    "organization": "组织",
    "others_visible": "组内互见评分",
    "outcome": "处理结果",
    "own": "本人修改",
    "pairs": "专家与申报配对",
    "path": "访问地址",
    "phone": "手机号码",
    "place": "地点",
    "policy": "政策依据",
    "program": "奖项",
    "position": "职务",
    "practice_years": "从业年限",
    "qualification": "资格审查",
    "reason": "原因",
    "rewinner": "再次获奖",
    "receipt": "回执号",
    "recommending_unit": "推荐单位",
    "recovered": "追回奖金（元）",
    "recovery_codes": "恢复码数量",
    "recovery_entry": "追回记录",
    "remaining": "剩余恢复码",
    "reference": "依据文件",
    "error_reference": "参考编号",
    "same_file_of": "与此附件相同（申报人确认仍要上传）",
    "report_duty": "报告义务",
    "results": "结果",
    "revision": "版本",
    "role": "角色",
    "score": "得分",
    "section": "栏目",
    "seed": "随机种子",
    "seq": "序号",
    "sha256": "文件摘要",
    "site_review": "现场评审",
    "size": "大小（字节）",
    "source": "来源",
    "stage": "阶段",
    "starts_on": "开始日期",
    "state": "状态",
    "status": "状态",
    "supervisor": "评审监督员",
    "text": "内容",
    "ties": "并列数",
    "title": "职称",
    "token": "API令牌",
    "total_affinity": "总匹配度",
    "training_certificate": "培训证书",
    "training_on": "培训日期",
    "unfilled": "未配满",
    "user": "用户",
    "username": "账号",
    "uscc": "统一社会信用代码",
    "version": "版本",
    "voucher": "凭证号",
    "winners": "获奖记录",
    "withdrawn": "撤回",
    "worst_affinity": "最低匹配度",
    "year": "年度",
    "purpose": "用途",
    "one_time_code": "验证码编号",
    "scope": "范围",
    "requested_by": "发起人",
    "client_address": "来源地址",
    "verified": "已验证的联系方式",
    "in_person": "当面核验",
    "delivered": "已发送验证码",
    "what": "环节",
    "failures": "失败次数",
    # Registration (accounts.registration): consent to the privacy notice, the clash.
    "clash": "冲突项",
    "identifier": "冲突的标识",
    "privacy_notice_version": "同意的个人信息保护声明版本",
    "privacy_consent_at": "同意时间",
    "sensitive_consent": "单独同意处理身份证号码",
    "pending": "待邮箱验证",
    "is_active": "账户启用",
    "email_verified_at": "邮箱验证时间",
    # Backups, audit archives and the personal-data purge (audit/backup.py, issue 15 part 7).
    "files": "文件数",
    "backup_at": "备份时间",
    "before_date": "归档截止日期",
    "events": "事件数",
    "first_seq": "首条序号",
    "last_seq": "末条序号",
    "first_hash": "首条哈希",
    "last_hash": "末条哈希",
    "retention_years": "保存期限（年）",
    "cycle_closed_on": "年度结束日期",
    "erased": "已删除的个人信息",
    # Key rotation (accounts rotate_keys, issue 15 part 5): the key id and counts, never a key.
    "key_id": "当前密钥编号",
    "rows": "重新加密的行数",
    "encrypted_values": "重新加密的字段值数",
    "blind_indexes": "重算的盲索引数",
    # The jobs' retention (jobs.services.prune, issue 17): counts and the periods applied.
    "jobs_deleted": "删除的已结束任务数",
    "exports_expired": "过期删除的导出文件数",
    "failed_kept": "保留的失败任务数",
    "keep_days": "已结束任务保存天数",
    "result_days": "导出文件保存天数",
}
# Set apart from the literal: a dict entry "article" reads as a citation to tests/test_citations.
KEY_LABELS["article"] = "依据条款"

# Keys holding the primary key of a row people know by name: (app label, model, name field).
NAMED_KEYS: dict[str, tuple[str, str]] = {
    "expert": ("experts.Expert", "name"),
    "leader": ("experts.Expert", "name"),
    "supervisor": ("accounts.User", "full_name"),
    "user": ("accounts.User", "full_name"),
    "recommending_unit": ("accounts.RecommendingUnit", "name"),
    "organization": ("accounts.Organization", "name"),
    "program": ("programs.AwardProgram", "name"),
}

# Codes that mean the same everywhere (eligibility results, workflow words).
VALUE_LABELS: dict[str, str] = {
    "pass": "符合",
    "fail": "不符合",
    "unknown": "待核实",
    "web": "网页",
    "api": "接口",
    "GET": "查看",
    "POST": "提交",
}

# Values of keys that no model field names (supervision.selectors.DUTY_LABELS: audit sits below).
KEY_VALUE_LABELS: dict[str, dict[str, str]] = {
    "report_duty": {
        "unknown": "确认日期未知",
        "due": "报告期内",
        "on_time": "按期报告",
        "late": "逾期报告",
        "failed": "未按规定报告",
    },
}

# Keys whose values are stage codes rather than data (the cycle's dates per stage).
_STAGE_KEYED_ACTIONS = frozenset({"programs.cycle.set_dates"})

_LONG_LIST = 8
_HEX = re.compile(r"[0-9a-f]{32,}")


@dataclass
class Detail:
    label: str
    text: str


@dataclass
class Described:
    before: list[Detail] = field(default_factory=list)
    after: list[Detail] = field(default_factory=list)


@functools.cache
def _choices_by_field() -> dict[str, dict[str, dict[str, str]]]:
    """field name -> model label (app.model) -> value -> label, over every installed model."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for model in apps.get_models():
        for f in model._meta.get_fields():
            choices = getattr(f, "choices", None)
            if choices:
                found.setdefault(f.name, {})[model._meta.label_lower] = {
                    str(k): str(v) for k, v in choices if not isinstance(v, (list, tuple))
                }
    return found


def choice_label(key: str, value: str, object_type: str = "") -> str | None:
    """The label of `value` for a field named `key`: the event's own model first; elsewhere
    only when every model that has such a field agrees."""
    per_model = _choices_by_field().get(key, {})
    if object_type in per_model and value in per_model[object_type]:
        return per_model[object_type][value]
    labels = {c[value] for c in per_model.values() if value in c}
    if len(labels) == 1:
        return labels.pop()
    return VALUE_LABELS.get(value)


@functools.cache
def _stage_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for by_model in _choices_by_field().get("stage", {}).values():
        labels.update(by_model)
    return labels


def verbose_name(object_type: str) -> str:
    """`intake.application` -> 申报 (the model's verbose name), or the code when unknown."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


class _Names:
    """Names for the keys of NAMED_KEYS found on a page of events: one query per model."""

    def __init__(self, events: Iterable[AuditEvent]) -> None:
        wanted: dict[str, set[int]] = {}
        for e in events:
            for d in (e.before, e.after):
                if isinstance(d, dict):
                    for key, (label, _) in NAMED_KEYS.items():
                        if isinstance(d.get(key), int) and not isinstance(d.get(key), bool):
                            wanted.setdefault(label, set()).add(d[key])
        self.names: dict[str, dict[int, str]] = {}
        for model_label, pks in wanted.items():
            name_field = next(n for m, n in NAMED_KEYS.values() if m == model_label)
            rows = (
                apps.get_model(model_label)
                ._default_manager.filter(pk__in=pks)
                .values_list("pk", name_field)
            )
            self.names[model_label] = {pk: str(name) for pk, name in rows if name}

    def get(self, key: str, pk: int) -> str | None:
        model, _ = NAMED_KEYS[key]
        return self.names.get(model, {}).get(pk)


def _text(key: str, value: Any, event: AuditEvent, names: _Names) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in NAMED_KEYS and isinstance(value, int):
        return names.get(key, value) or f"#{value}"
    if key in ("article", "articles"):
        items = value if isinstance(value, list) else [value]
        return "、".join(cite(str(v)) for v in items)
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, str) and len(v) == 10 for v in value):
            return f"{value[0]} 至 {value[1]}"  # a date range
        shown = [_text(key, v, event, names) for v in value[:_LONG_LIST]]
        more = f" 等共 {len(value)} 项" if len(value) > _LONG_LIST else ""
        return "、".join(shown) + more
    if isinstance(value, dict):
        parts = [
            f"{_key_label(str(k), event)}：{_text(str(k), v, event, names)}"
            for k, v in value.items()
        ]
        shown = parts[:_LONG_LIST]
        more = f" 等共 {len(parts)} 项" if len(parts) > _LONG_LIST else ""
        return "；".join(shown) + more
    text = str(value)
    if isinstance(value, str):
        label = KEY_VALUE_LABELS.get(key, {}).get(text) or choice_label(
            key, text, event.object_type
        )
        if label is not None:
            return label
        if _HEX.fullmatch(text):
            return text[:16] + "…"
    return cite_all(text)


def _key_label(key: str, event: AuditEvent) -> str:
    if event.action in _STAGE_KEYED_ACTIONS and key in _stage_labels():
        return _stage_labels()[key]
    return KEY_LABELS.get(key, key)


def _lines(value: Any, event: AuditEvent, names: _Names) -> list[Detail]:
    if value is None:
        return []
    if not isinstance(value, dict):
        return [Detail("内容", mask(_text("", value, event, names)))]
    return [
        Detail(_key_label(str(k), event), mask(_text(str(k), v, event, names)))
        for k, v in value.items()
    ]


def describe(events: Iterable[AuditEvent]) -> dict[int, Described]:
    """Each event's before/after as Chinese lines, by event pk (names looked up once)."""
    events = list(events)
    names = _Names(events)
    return {e.pk: Described(_lines(e.before, e, names), _lines(e.after, e, names)) for e in events}
