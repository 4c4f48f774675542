from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Role, User
from accounts.selectors import roles_of
from audit.models import AuditEvent


@pytest.mark.django_db
def test_create_account_makes_the_first_security_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOUNT_PASSWORD", "Secure#2026x")
    call_command("create_account", "secadmin1", "--role", "secadmin", "--full-name", "张三")
    user = User.objects.get(username="secadmin1")
    assert roles_of(user) == {Role.SECADMIN}
    assert user.check_password("Secure#2026x")
    assert AuditEvent.objects.filter(action="accounts.role.grant", object_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_create_account_refuses_a_weak_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOUNT_PASSWORD", "weakpass")
    with pytest.raises(CommandError, match="至少三类"):
        call_command("create_account", "secadmin1", "--role", "secadmin")
    assert not User.objects.exists()
