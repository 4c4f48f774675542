"""The one catalogue of audited actions: code -> Chinese label, category, article.

Every `audit.services.record` call names an action code from `ACTIONS`; `record()` refuses any
other (ValueError), so the catalogue cannot drift from the code. The trail page's filters, its
labels and the Excel export are all built from this table.

To add an action: append one `_a(...)` line in the block of its category (keep the code's
app prefix; the label reads "<what>：<verb phrase>", as on the trail page). The article is a
requirement ID of spec/REQUIREMENTS.md (A16.1), shown as 第十六条 by `lib.articles.cite`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.articles import cite

# The categories, in the order the trail page lists them.
ACCOUNTS = "账户与权限"
INTAKE = "申报受理"
EXPERTS = "专家与分组"
REVIEW = "评审评分"
DECISION = "审定与公示"
AWARDS = "奖励与证书"
SUPERVISION = "纪律监督"
SYSTEM = "系统与审计"
FILES = "文件下载与导出"
ACCESS = "访问"

CATEGORIES: tuple[str, ...] = (
    ACCOUNTS,
    INTAKE,
    EXPERTS,
    REVIEW,
    DECISION,
    AWARDS,
    SUPERVISION,
    SYSTEM,
    FILES,
    ACCESS,
)


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    category: str
    article: str  # a requirement ID (A16.1); "" when no article of the Measures governs it

    @property
    def citation(self) -> str:
        """第十六条, or "" when no article is named."""
        return cite(self.article) if self.article else ""


ACTIONS: dict[str, Action] = {}


def _a(code: str, label: str, category: str, article: str = "") -> None:
    if code in ACTIONS:
        raise ValueError(f"审计操作重复登记：{code}")
    ACTIONS[code] = Action(code, label, category, article)


# --- 账户与权限 ------------------------------------------------------------------------------
_a("accounts.user.create", "账户：创建账户", ACCOUNTS, "A3.1")
_a("accounts.role.grant", "权限：授予角色", ACCOUNTS, "A3.1")
_a("accounts.role.revoke", "权限：撤销角色", ACCOUNTS, "A3.1")
_a("accounts.role.grant_refused", "权限：授予角色被拒绝（三员分立）", ACCOUNTS, "A3.1")
_a("accounts.password.change", "账户：修改密码", ACCOUNTS, "A3.1")
_a("accounts.unlock", "账户：解除锁定", ACCOUNTS, "A3.1")
_a("accounts.login", "登录：登录系统", ACCOUNTS, "A3.1")
_a("accounts.logout", "登录：退出系统", ACCOUNTS, "A3.1")
_a("accounts.login_failed", "登录：登录失败", ACCOUNTS, "A3.1")
_a("accounts.token.revoke", "API令牌：注销令牌", ACCOUNTS, "A3.1")
_a("accounts.code.issue", "账户：发送一次性验证码", ACCOUNTS, "A3.1")
_a("accounts.contact.verify", "账户：验证邮箱或手机", ACCOUNTS, "A3.1")
_a("accounts.password.reset_request", "账户：申请重置密码", ACCOUNTS, "A3.1")
_a("accounts.password.reset", "账户：以验证码重置密码", ACCOUNTS, "A3.1")
_a("accounts.login.throttled", "登录：来源地址失败过多被限制", ACCOUNTS, "A3.1")
_a("accounts.otp.enrol", "两步验证：绑定动态口令", ACCOUNTS, "A3.1")
_a("accounts.otp.verify", "两步验证：验证通过", ACCOUNTS, "A3.1")
_a("accounts.otp.verify_failure", "两步验证：验证码错误", ACCOUNTS, "A3.1")
_a("accounts.otp.recovery_used", "两步验证：使用恢复码", ACCOUNTS, "A3.1")
_a("accounts.otp.recovery_regenerate", "两步验证：重新生成恢复码", ACCOUNTS, "A3.1")
_a("accounts.otp.reset", "两步验证：重置他人的动态口令", ACCOUNTS, "A3.1")
_a("accounts.unit.add", "推荐单位：新增", ACCOUNTS, "A7.1")
_a("accounts.unit.change", "推荐单位：修改", ACCOUNTS, "A7.1")
_a("accounts.unit.seed", "推荐单位：初始化", ACCOUNTS, "A7.1")
_a("accounts.organization.register", "申报组织：注册", ACCOUNTS, "A15.2")
_a("accounts.organization.update", "申报组织：修改登记信息", ACCOUNTS, "A15.2")
_a("accounts.organization.add_contact", "申报组织：增加联系人", ACCOUNTS, "A15.2")
_a("accounts.organization.seed", "申报组织：初始化", ACCOUNTS, "A15.2")
_a("accounts.individual.register", "个人申报人：注册", ACCOUNTS, "A14.1")
_a("accounts.registration.clash", "注册：与已注册账号冲突（已通知办公室）", ACCOUNTS, "A3.1")
_a("accounts.registration.confirm", "注册：验证邮箱，账户启用", ACCOUNTS, "A3.1")
_a("accounts.individual.update", "个人申报人：修改登记信息", ACCOUNTS, "A14.1")
_a("accounts.individual.reveal_id", "个人申报人：查看完整身份证号", ACCOUNTS, "A26.1")
_a("accounts.personal_data.purge", "个人信息：保存期限届满删除", ACCOUNTS, "A3.1")
# The system administrator's Django admin (accounts/admin.py: admin.<model>.<add|change|delete>);
# tests/audit/test_catalogue.py checks that every model on the admin site has its three codes.
for _model, _name in (("user", "用户"), ("recommendingunit", "推荐单位"), ("organization", "组织")):
    _a(f"admin.{_model}.add", f"系统管理：新增{_name}", ACCOUNTS, "A3.1")
    _a(f"admin.{_model}.change", f"系统管理：修改{_name}", ACCOUNTS, "A3.1")
    _a(f"admin.{_model}.delete", f"系统管理：删除{_name}", ACCOUNTS, "A3.1")

# --- 申报受理 ------------------------------------------------------------------------------
_a("programs.program.seed", "奖项：初始化", INTAKE, "A2.1")
_a("programs.policy.seed", "政策参数：初始化", INTAKE, "A5.2")
_a("programs.program.load", "奖项：按方案包载入", INTAKE, "A2.1")
_a("programs.policy.load", "管理办法：按方案包载入", INTAKE, "A5.2")
_a("programs.cycle.create", "评审年度：创建", INTAKE, "A5.1")
_a("programs.cycle.set_dates", "评审年度：设定各阶段日期", INTAKE, "A15.1")
_a("programs.cycle.publish", "评审年度：发布申报通知", INTAKE, "A15.1")
_a("programs.cycle.close", "评审年度：结束", INTAKE, "A5.1")
_a("programs.calendar.enter", "工作日历：登记节假日", INTAKE, "A20.1")
_a("programs.seal.upload", "电子印章：上传", AWARDS, "A21.1")
_a("programs.seal.remove", "电子印章：撤下", AWARDS, "A21.1")
_a("intake.application.start", "申报：开始填写申报表", INTAKE, "A15.2")
_a("intake.attachment.add", "申报：上传附件", INTAKE, "A15.2")
_a("intake.attachment.remove", "申报：删除附件", INTAKE, "A15.2")
_a("intake.application.submit", "申报：提交申报", INTAKE, "A15.2")
_a("intake.application.withdraw", "申报：撤回申报", INTAKE, "A3.1")
_a("intake.application.recommend", "推荐：推荐申报", INTAKE, "A15.3")
_a("intake.application.return", "推荐：退回修改", INTAKE, "A15.3")
_a("intake.application.accept", "资格审查：受理", INTAKE, "A16.1")
_a("intake.application.not_accept", "资格审查：不予受理", INTAKE, "A16.1")
_a("intake.decision.correct", "资格审查：更正审查结论", INTAKE, "A16.1")
_a("intake.application.lapse", "申报：逾期失效", INTAKE, "A15.1")
_a("intake.award_record.add", "获奖记录：登记往年获奖", INTAKE, "A24.1")
_a("intake.ban.add", "申报限制：登记禁止申报期", INTAKE, "A29.1")

# --- 专家与分组 -----------------------------------------------------------------------------
_a("experts.expert.add", "专家库：新增专家", EXPERTS, "A6.3")
_a("experts.expert.change", "专家库：修改专家信息", EXPERTS, "A6.3")
_a("experts.code.set", "工作守则：发布", EXPERTS, "A6.3")
_a("experts.code.acknowledge", "工作守则：专家确认", EXPERTS, "A6.3")
_a("experts.assignment.add", "分组：加入专家", EXPERTS, "A17.1")
_a("experts.assignment.remove", "分组：移出专家", EXPERTS, "A26.1")
_a("experts.assignment.lock", "分组：锁定", EXPERTS, "A17.1")
_a("experts.assignment.unlock", "分组：解除锁定", EXPERTS, "A17.1")
_a("experts.groups.propose", "分组：生成分组方案", EXPERTS, "A17.1")
_a("experts.draw.seed", "随机抽取：生成并记录种子", EXPERTS, "A17.1")
_a("experts.groups.draw", "随机抽取：抽取专家组", EXPERTS, "A17.1")
_a("experts.draw.fail", "随机抽取：未能完成", EXPERTS, "A17.1")
_a("experts.group.open", "分组：开启评审组", EXPERTS, "A17.1")
_a("experts.group.set_leader", "分组：指定组长", EXPERTS, "A17.1")
_a("experts.conflict.declare", "利害关系：专家申报回避", EXPERTS, "A26.1")
_a("experts.conflict.recusal", "利害关系：批准回避申请", EXPERTS, "A26.1")
_a("experts.conflict.detect", "利害关系：系统识别", EXPERTS, "A26.1")
_a("experts.recusal.request", "利害关系：申请人申请回避", EXPERTS, "A26.1")
_a("experts.no_conflict.confirm", "利害关系：专家确认无利害关系", EXPERTS, "A26.1")
_a("experts.sanction.record", "专家处理：登记处理", EXPERTS, "A26.2")

# --- 评审评分 -------------------------------------------------------------------------------
_a("review.rubric.create", "评分细则：创建", REVIEW, "A9.1")
_a("review.rubric.change", "评分细则：修改", REVIEW, "A9.1")
_a("review.phase.open", "评审阶段：开始", REVIEW, "A17.1")
_a("review.phase.close", "评审阶段：结束", REVIEW, "A17.1")
_a("review.scorecard.save", "评分：暂存评分表", REVIEW, "A17.1")
_a("review.scorecard.submit", "评分：提交评分表", REVIEW, "A17.1")
_a("review.scorecard.reopen", "评分：退回重评", REVIEW, "A17.1")
_a("review.consensus.save", "合议：暂存合议意见", REVIEW, "A17.1")
_a("review.consensus.confirm", "合议：确认合议结论", REVIEW, "A17.1")
_a("review.site_visit.schedule", "现场评审：安排日程", REVIEW, "A17.1")
_a("review.site_visit.record", "现场评审：登记现场记录", REVIEW, "A17.1")
_a("review.site_visit.report", "现场评审：监督员报告", REVIEW, "A27.1")
_a("review.feedback.give", "双向评价：提交评价", REVIEW, "A28.1")
_a("review.evaluate", "综合评价：形成综合评价", REVIEW, "A18.1")

# --- 审定与公示 ------------------------------------------------------------------------------
_a("decision.proposal.save", "拟奖建议：保存名单", DECISION, "A19.1")
_a("decision.approval.record", "审定：登记审定结果", DECISION, "A19.1")
_a("decision.notice.publish", "公示：发布公示", DECISION, "A20.1")
_a("decision.notice.close", "公示：结束公示", DECISION, "A20.2")
_a("decision.objection.file", "异议：提出异议", DECISION, "A20.2")
_a("decision.objection.decide", "异议：作出处理", DECISION, "A20.2")
_a("decision.announce", "公布：公布获奖名单", DECISION, "A20.2")

# --- 奖励与证书 ------------------------------------------------------------------------------
_a("decision.bonus.record", "奖金：登记拨付", AWARDS, "A22.1")

# --- 纪律监督 -------------------------------------------------------------------------------
_a("supervision.report.file", "纪律监督：登记举报", SUPERVISION, "A23.1")
_a("supervision.case.open", "纪律监督：立案调查", SUPERVISION, "A23.2")
_a("supervision.case.report", "纪律监督：报告委员会", SUPERVISION, "A23.2")
_a("supervision.case.decide", "纪律监督：作出处理决定", SUPERVISION, "A23.2")
_a("supervision.award.revoke", "纪律监督：撤销奖励", SUPERVISION, "A23.2")
_a("supervision.sanction.record", "纪律监督：登记处理", SUPERVISION, "A29.1")
_a("supervision.note.add", "纪律监督：记录监督意见", SUPERVISION, "A27.1")

# --- 系统与审计 ------------------------------------------------------------------------------
_a("audit.anchor.write", "审计链：写入检查点", SYSTEM, "A27.1")
_a("audit.backup.create", "备份：生成加密备份", SYSTEM, "A27.1")
_a("audit.backup.restore", "备份：从备份恢复", SYSTEM, "A27.1")
_a("audit.archive.export", "审计日志：归档导出（原记录保留）", SYSTEM, "A27.1")
_a("accounts.keys.rotate", "密钥：个人信息加密密钥轮换（重新加密、重算盲索引）", SYSTEM, "A26.1")
_a("desk.archive.create", "年度归档：生成（清单的SM3记入本事件）", SYSTEM, "A3.1")
_a("jobs.job.retry", "后台任务：重新执行失败的任务", SYSTEM)
_a("jobs.job.cancel", "后台任务：取消排队中的任务", SYSTEM)
_a("jobs.job.prune", "后台任务：按保存期限清理已结束的任务和过期的导出文件", SYSTEM)

# --- 文件下载与导出 (audit/middleware.py records these from the response) ----------------------
_a("intake.attachment.download", "附件：下载申报附件", FILES, "A26.1")
_a("experts.attachment.download", "附件：专家下载申报附件", FILES, "A26.1")
_a("download.application_form", "申报表：下载", FILES, "A26.1")
_a("download.applications_export", "申报汇总：导出", FILES, "A26.1")
_a("download.ranking", "评审排名：导出", FILES, "A26.1")
_a("download.evaluation_report", "综合评价报告：下载", FILES, "A18.1")
_a("download.feedback_report", "双向评价报告：下载", FILES, "A28.1")
_a("download.groups_export", "专家分组：导出", FILES, "A26.1")
_a("download.certificate", "荣誉证书：下载", FILES, "A20.2")
_a("download.ledger", "奖金台账：导出", FILES, "A22.1")
_a("download.approval_attachment", "审定附件：下载", FILES, "A19.1")
_a("download.objection_evidence", "异议证据：下载", FILES, "A20.2")
_a("download.audit_export", "审计日志：导出", FILES, "A3.1")
_a("download.province_overview", "各地奖项概况：导出", FILES, "A3.1")
_a("desk.archive.download", "年度归档：下载", FILES, "A3.1")
_a("download.file", "文件：下载", FILES, "A26.1")

# --- 访问 ---------------------------------------------------------------------------------
_a("experts.materials.view", "查阅：专家查阅申报材料", ACCESS, "A26.1")
_a("access.application.view", "查阅：查看申报详情", ACCESS, "A26.1")
_a("access.denied", "访问：被拒绝（无权限）", ACCESS, "A3.1")
_a("access.unauthenticated", "访问：被拒绝（未登录）", ACCESS, "A3.1")


def get(code: str) -> Action | None:
    return ACTIONS.get(code)


def label(code: str) -> str:
    """The Chinese label; an uncatalogued code (an event older than the catalogue) as is."""
    action = ACTIONS.get(code)
    return action.label if action else code


def category_of(code: str) -> str:
    action = ACTIONS.get(code)
    return action.category if action else ""


def require(code: str) -> Action:
    """The catalogued action, or ValueError: `record()` writes no code it cannot explain."""
    try:
        return ACTIONS[code]
    except KeyError:
        raise ValueError(
            f"审计操作 {code!r} 未在 audit/catalogue.py 登记："
            "请先在目录中加入它的中文名称、类别和条款。"
        ) from None


def by_category() -> list[tuple[str, list[Action]]]:
    """The actions grouped by category, in catalogue order (the trail page's action select)."""
    return [(c, [a for a in ACTIONS.values() if a.category == c]) for c in CATEGORIES]
