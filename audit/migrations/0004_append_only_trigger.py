"""On PostgreSQL the audit table refuses UPDATE and DELETE in the database itself (security plan,
test 39; 等保 安全审计 c): a row can only be inserted. The table's owner can still disable the
trigger (as an attacker with the owner's rights would), which is what the checkpoints of
decision 0014 are for; production runs the application as a role that does not own the table.
SQLite has no such guard; the models refuse changes there as everywhere."""

from __future__ import annotations

from typing import Any

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计事件只能追加，不可修改或删除（%）', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


def _on_postgresql(sql: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_event_client_address")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
