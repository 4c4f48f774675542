"""The dependency audit: every locked package checked against a vulnerability database.

Run from the project root (`make audit-deps`; `make test` runs it too). The locked requirements
(uv.lock, every group, exact versions) are exported and given to pip-audit, which asks the
vulnerability service (PyPI's JSON API by default; AUDIT_SERVICE=osv for OSV) about each.

Exit status and what is printed:
- 1 when a known vulnerability is found: each package, version, advisory and the fixed versions;
- 0 with "依赖审计通过" when every package was checked and none is vulnerable;
- 0 with "依赖漏洞库不可达，未完成依赖审计" when the service cannot be reached or answered for no
  package (a machine without Internet access must not fail the tests; the message says plainly
  that nothing was checked), and with the count of packages not checked when only some were.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BIN = Path(".venv/bin")
UNREACHABLE = "依赖漏洞库不可达，未完成依赖审计"


def main() -> int:
    service = os.environ.get("AUDIT_SERVICE", "pypi")
    with tempfile.TemporaryDirectory(prefix="audit-deps-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        report = Path(scratch) / "report.json"
        exported = subprocess.run(  # noqa: S603 - our own tools
            [
                str(BIN / "uv"),
                "export",
                "--frozen",
                "--no-hashes",
                "--no-emit-project",
                "--all-groups",
                "--output-file",
                str(requirements),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if exported.returncode != 0:
            sys.stderr.write(f"无法导出锁定的依赖：{exported.stderr.strip()}\n")
            return 2
        done = subprocess.run(  # noqa: S603
            [
                str(BIN / "pip-audit"),
                "--requirement",
                str(requirements),
                "--disable-pip",
                "--no-deps",
                "--vulnerability-service",
                service,
                "--progress-spinner",
                "off",
                "--timeout",
                "15",
                "--format",
                "json",
                "--output",
                str(report),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            result = json.loads(report.read_text())
        except (OSError, ValueError):
            reason = (done.stderr.strip().splitlines() or ["无输出"])[-1]
            sys.stdout.write(f"{UNREACHABLE}（{service}：{reason}）。\n")
            return 0
    status, text = verdict(result, service)
    sys.stdout.write(text + "\n")
    return status


def verdict(result: dict[str, Any], service: str) -> tuple[int, str]:
    """The exit status and the report of pip-audit's JSON `result`."""
    dependencies = result.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    checked = [d for d in dependencies if not d.get("skip_reason")]
    vulnerable = [d for d in checked if d.get("vulns")]
    if vulnerable:
        lines = [f"发现 {sum(len(d['vulns']) for d in vulnerable)} 个已知漏洞："]
        for dependency in vulnerable:
            for vuln in dependency["vulns"]:
                fixed = "、".join(vuln.get("fix_versions", [])) or "暂无"
                lines.append(
                    f"  {dependency['name']} {dependency['version']}：{vuln['id']}"
                    f"（修复版本：{fixed}）"
                )
        return 1, "\n".join(lines)
    if not checked:
        reason = skipped[0]["skip_reason"] if skipped else "无可查询的依赖"
        return 0, f"{UNREACHABLE}（{service}：{len(skipped)} 个依赖均无法查询，如：{reason}）。"
    if skipped:
        names = "、".join(d["name"] for d in skipped[:10])
        return 0, (
            f"依赖审计部分完成：{len(checked)} 个依赖无已知漏洞，{len(skipped)} 个无法查询"
            f"（{names}{'等' if len(skipped) > 10 else ''}）。"
        )
    return 0, f"依赖审计通过：{len(checked)} 个依赖均无已知漏洞（{service}）。"


if __name__ == "__main__":
    sys.exit(main())
