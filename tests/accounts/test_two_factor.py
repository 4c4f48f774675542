"""Two factors (issue 15 part 1, accounts.two_factor): TOTP for staff with recovery codes, the
gate before any page or API call, re-authentication before sensitive actions, the security
administrator's reset, and the demo's public secrets kept out of production."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import Individual, Notification, Role, RoleAssignment, User
from accounts.services import create_user, grant_role
from audit.models import AuditEvent
from tests.conftest import PASSWORD, api_client, client_for, otp_code, otp_device

pytestmark = pytest.mark.req("A3.1")

LOGIN = "/accounts/login/"
ENROL = "/accounts/two-factor/enrol/"
VERIFY = "/accounts/two-factor/verify/"
CONFIRM = "/accounts/two-factor/confirm/"
RECOVERY = "/accounts/two-factor/recovery/"


def _code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _new_staff(username: str = "clerk", role: Role = Role.OFFICE) -> User:
    """A staff member as an administrator leaves them: a role, no device yet."""
    user = create_user(actor=None, actor_role="system", username=username, password=PASSWORD)
    grant_role(actor=None, actor_role="system", user=user, role=role)
    return user


def _password(client: Client, username: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": PASSWORD})


@pytest.fixture
def individual(personas: dict[str, User]) -> Individual:
    from accounts.models import RecommendingUnit

    return Individual.objects.create(
        user=personas["individual"],
        name="李娜",
        id_number="320682198503150026",
        employer_name="如皋示例机械有限公司",
        recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
        position=Individual.Position.choices[0][0],
        quality_work_years=12,
    )


def _token(username: str, otp: str | None = None) -> Any:
    body = {"username": username, "password": PASSWORD, "scope": "full"}
    if otp is not None:
        body["otp"] = otp
    return Client().post("/api/v1/auth/token", json.dumps(body), content_type="application/json")


# --- enrolment and sign-in ------------------------------------------------------------------


def test_staff_enrol_at_first_sign_in_and_see_ten_recovery_codes_once(
    program: Any, time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    user = _new_staff()
    client = Client()
    response = _password(client, "clerk")
    assert response.status_code == 302
    assert response["Location"].startswith(ENROL)
    # Nothing else opens meanwhile: the workbench sends back to the enrolment, keeping `next`.
    page = client.get("/accounts/me/")
    assert page.status_code == 302
    assert page["Location"] == f"{ENROL}?next=%2Faccounts%2Fme%2F"

    enrol = client.get(ENROL)
    assert enrol.status_code == 200
    html = enrol.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert two_factor.secret_groups(device) in html
    assert "如皋市市长质量奖:clerk" in html
    assert 'src="data:image/svg+xml' in html  # the QR code, inline (CSP: img-src data:)

    assert client.post(ENROL, {"otp": _wrong(_code_for(device))}).status_code == 400
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 3, tzinfo=dt.UTC), tick=False)
    done = client.post(ENROL, {"otp": _code_for(device)})
    assert done.status_code == 302
    assert done["Location"].startswith(RECOVERY)
    shown = client.get(done["Location"]).content.decode()
    codes = [t.token for t in StaticDevice.objects.get(user=user).token_set.all()]
    assert len(codes) == 10
    assert all(code in shown for code in codes)
    assert "只显示这一次" in shown
    assert client.get(RECOVERY).status_code == 302  # once
    assert client.get("/accounts/me/").status_code == 200
    assert AuditEvent.objects.filter(action="accounts.otp.enrol", actor=user).exists()


def test_an_enrolled_person_cannot_bind_a_second_device(personas: dict[str, User]) -> None:
    """A stolen password must not let anyone add their own authenticator."""
    client = Client()
    _password(client, "p_office")
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=personas["office"]).count() == 1


def test_staff_sign_in_with_a_code(personas: dict[str, User]) -> None:
    office = personas["office"]
    client = Client()
    response = client.post(LOGIN + "?next=/cycles/", {"username": "p_office", "password": PASSWORD})
    assert response["Location"] == f"{VERIFY}?next=%2Fcycles%2F"
    verified = client.post(VERIFY, {"otp": otp_code(office), "next": "/cycles/"})
    assert verified.status_code == 302
    assert verified["Location"] == "/cycles/"
    assert client.get("/accounts/me/").status_code == 200
    event = AuditEvent.objects.get(action="accounts.otp.verify")
    assert event.after == {"channel": "web", "factor": "动态口令"}


def test_a_wrong_code_is_refused_audited_and_slows_the_next_try(
    personas: dict[str, User], time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    office = personas["office"]
    client = Client()
    _password(client, "p_office")
    right = otp_code(office)
    refused = client.post(VERIFY, {"otp": _wrong(right)})
    assert refused.status_code == 400
    assert "验证码不正确" in refused.content.decode()
    assert client.get("/accounts/me/").status_code == 302
    assert AuditEvent.objects.filter(action="accounts.otp.verify_failure", actor=office).exists()
    # django-otp's throttling: even the right code waits after a failure (1 s, doubling).
    locked = client.post(VERIFY, {"otp": right})
    assert locked.status_code == 400
    assert "已暂时锁定" in locked.content.decode()
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 3, tzinfo=dt.UTC), tick=False)
    assert client.post(VERIFY, {"otp": right}).status_code == 302


def test_a_code_is_accepted_once(personas: dict[str, User], time_machine: Any) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    office = personas["office"]
    code = otp_code(office)
    first, second = Client(), Client()
    _password(first, "p_office")
    _password(second, "p_office")
    assert first.post(VERIFY, {"otp": code}).status_code == 302
    assert second.post(VERIFY, {"otp": code}).status_code == 400  # replayed


def test_a_recovery_code_signs_in_once(personas: dict[str, User]) -> None:
    office = personas["office"]
    codes = two_factor.new_recovery_codes(office)
    client = Client()
    _password(client, "p_office")
    assert client.post(VERIFY, {"otp": codes[0].upper()}).status_code == 302
    assert client.get("/accounts/me/").status_code == 200
    used = AuditEvent.objects.get(action="accounts.otp.recovery_used")
    assert used.after == {"channel": "web", "factor": "恢复码", "remaining": 9}
    again = Client()
    _password(again, "p_office")
    assert again.post(VERIFY, {"otp": codes[0]}).status_code == 400  # spent
    assert two_factor.recovery_left(office) == 9


# --- the gate ---------------------------------------------------------------------------------


def test_a_signed_in_staff_member_without_a_code_reaches_no_page_and_no_api(
    personas: dict[str, User],
) -> None:
    client = Client()
    client.force_login(personas["supervisor"], backend="accounts.backends.PasswordBackend")
    page = client.get("/supervision/cases/")
    assert page.status_code == 302
    assert page["Location"] == f"{VERIFY}?next=%2Fsupervision%2Fcases%2F"
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json() == {
        "code": "otp_required",
        "message": two_factor.MESSAGE,
        "article": None,
        "fields": {},
    }
    post = client.post("/accounts/inbox/read/")
    assert post.status_code == 302
    assert post["Location"] == VERIFY
    # Signing out and static files stay open.
    assert two_factor.TwoFactorGate._open("/static/app/app.css")
    assert client.post("/accounts/logout/").status_code == 302


def test_a_token_needs_the_code_for_staff(personas: dict[str, User]) -> None:
    office = personas["office"]
    refused = _token("p_office")
    assert refused.status_code == 403
    assert refused.json()["code"] == "otp_required"
    assert "otp" in refused.json()["message"]
    wrong = _token("p_office", _wrong(otp_code(office)))
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "otp_invalid"
    TOTPDevice.objects.filter(user=office).update(throttling_failure_count=0)
    issued = _token("p_office", otp_code(office))
    assert issued.status_code == 200
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {issued.json()['token']}"})
    assert me.status_code == 200
    login = AuditEvent.objects.filter(action="accounts.login", actor=office).get()
    assert login.after == {"channel": "api"}
    assert AuditEvent.objects.filter(action="accounts.otp.verify", after__channel="api").exists()


def test_a_staff_member_without_a_device_gets_no_token(program: Any) -> None:
    _new_staff()
    refused = _token("clerk", "123456")
    assert refused.status_code == 403
    assert "绑定动态口令" in refused.json()["message"]


def test_applicants_are_not_forced_and_may_enrol(personas: dict[str, User]) -> None:
    applicant = personas["applicant"]
    client = client_for(applicant)
    assert client.get("/accounts/me/").status_code == 200
    assert _token("p_applicant").status_code == 200
    settings_page = client.get("/accounts/two-factor/").content.decode()
    assert "两步验证可选" in settings_page
    assert client.get(ENROL).status_code == 200
    device = TOTPDevice.objects.get(user=applicant)
    assert client.post(ENROL, {"otp": _code_for(device)}).status_code == 302
    # From now on asked at sign-in, on the pages and for a token.
    fresh = Client()
    assert _password(fresh, "p_applicant")["Location"].startswith(VERIFY)
    assert fresh.get("/accounts/me/").status_code == 302
    assert _token("p_applicant").json()["code"] == "otp_required"


# --- re-authentication ------------------------------------------------------------------------


def test_a_role_grant_asks_for_a_fresh_code_after_reauth_minutes(
    personas: dict[str, User], time_machine: Any, settings: Any
) -> None:
    settings.REAUTH_MINUTES = 5
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    secadmin = personas["secadmin"]
    client = client_for(secadmin)
    grant = {"username": "outsider", "role": "expert", "reason": "新聘专家"}
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 4, tzinfo=dt.UTC), tick=False)
    assert client.post("/accounts/roles/grant/", grant).status_code == 302
    assert RoleAssignment.objects.filter(user__username="outsider", role="expert").exists()

    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 10, tzinfo=dt.UTC), tick=False)
    stale = client.post(
        "/accounts/roles/grant/",
        {"username": "outsider", "role": "supervisor", "reason": "监督"},
        headers={"Referer": "http://testserver/accounts/roles/"},
    )
    assert stale.status_code == 302
    assert stale["Location"] == f"{CONFIRM}?next=%2Faccounts%2Froles%2F"
    assert not RoleAssignment.objects.filter(user__username="outsider", role="supervisor").exists()
    confirm = client.get(stale["Location"])
    assert "本次提交未执行" in confirm.content.decode()
    back = client.post(CONFIRM, {"otp": otp_code(secadmin), "next": "/accounts/roles/"})
    assert back["Location"] == "/accounts/roles/"
    again = client.post(
        "/accounts/roles/grant/", {"username": "outsider", "role": "supervisor", "reason": "监督"}
    )
    assert again.status_code == 302
    assert again["Location"] == "/accounts/roles/"
    assert RoleAssignment.objects.filter(user__username="outsider", role="supervisor").exists()


def test_an_export_of_personal_data_returns_to_the_download_after_the_code(
    personas: dict[str, User], time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    office = personas["office"]
    client = client_for(office)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 10, tzinfo=dt.UTC), tick=False)
    stale = client.get("/applications/export.xlsx")
    assert stale.status_code == 302
    assert stale["Location"] == f"{CONFIRM}?next=%2Fapplications%2Fexport.xlsx"
    back = client.post(CONFIRM, {"otp": otp_code(office), "next": "/applications/export.xlsx"})
    assert client.get(back["Location"]).status_code == 200


def test_the_id_reveal_api_asks_for_x_otp_when_the_token_is_old(
    personas: dict[str, User], individual: Individual, time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    office = personas["office"]
    client, headers = api_client("p_office")
    path = f"/api/v1/individuals/{individual.public_id}/reveal-id-number"
    body = {"reason": "核对身份"}

    def reveal(extra: dict[str, str]) -> Any:
        return client.post(
            path, json.dumps(body), content_type="application/json", headers=headers | extra
        )

    assert reveal({}).status_code == 200  # the token is minutes old
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 20, tzinfo=dt.UTC), tick=False)
    stale = reveal({})
    assert stale.status_code == 403
    assert stale.json()["code"] == "reauth_required"
    assert "X-OTP" in stale.json()["message"]
    assert reveal({"X-OTP": otp_code(office)}).status_code == 200


# --- the security administrator's reset; the three administrators as attackers ---------------


def test_the_security_administrator_resets_a_lost_device(personas: dict[str, User]) -> None:
    office = personas["office"]
    two_factor.new_recovery_codes(office)
    victim_session = client_for(office)
    client = client_for(personas["secadmin"])
    roles = client.get("/accounts/roles/").content.decode()
    assert f"/accounts/roles/{office.pk}/two-factor-reset/" in roles
    url = f"/accounts/roles/{office.pk}/two-factor-reset/"
    client.post(url, {"reason": ""})
    assert TOTPDevice.objects.filter(user=office).exists()  # a reason is required
    assert client.post(url, {"reason": "手机丢失，本人电话申请"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=office).exists()
    assert not StaticDevice.objects.filter(user=office).exists()
    event = AuditEvent.objects.get(action="accounts.otp.reset")
    assert (event.actor, event.object_id, event.reason) == (
        personas["secadmin"],
        str(office.pk),
        "手机丢失，本人电话申请",
    )
    told = Notification.objects.get(user=office)
    assert "重置" in told.subject
    assert "手机丢失" in told.body
    # The owner's open session is no longer verified: it enrols again.
    response = victim_session.get("/accounts/me/")
    assert response.status_code == 302
    assert response["Location"].startswith(ENROL)


@pytest.mark.parametrize("attacker", ["sysadmin", "auditadmin"])
def test_the_other_administrators_cannot_reset_anyones_device(
    personas: dict[str, User], attacker: str
) -> None:
    client = client_for(personas[attacker])
    for victim in ("office", "secadmin", "sysadmin" if attacker != "sysadmin" else "auditadmin"):
        target = personas[victim]
        response = client.post(
            f"/accounts/roles/{target.pk}/two-factor-reset/", {"reason": "接管账号"}
        )
        assert response.status_code == 403
        assert TOTPDevice.objects.filter(user=target).exists()
    with pytest.raises(Exception, match="只有安全管理员"):
        two_factor.reset_devices(
            actor=personas[attacker], user=personas["office"], reason="接管账号"
        )
    assert not AuditEvent.objects.filter(action="accounts.otp.reset").exists()


def test_the_security_administrator_cannot_reset_their_own_device(
    personas: dict[str, User],
) -> None:
    secadmin = personas["secadmin"]
    client = client_for(secadmin)
    response = client.post(
        f"/accounts/roles/{secadmin.pk}/two-factor-reset/", {"reason": "自己重置"}, follow=True
    )
    assert "不能重置自己的动态口令" in response.content.decode()
    assert TOTPDevice.objects.filter(user=secadmin).exists()


def test_nobody_reaches_another_persons_secret_or_recovery_codes(
    personas: dict[str, User],
) -> None:
    """The Django admin lists no device (the system administrator's tool), and the two-factor
    pages only ever show the signed-in person's own."""
    office = personas["office"]
    codes = two_factor.new_recovery_codes(office)
    secret = two_factor.secret_groups(otp_device(office))
    admin = client_for(personas["sysadmin"])
    index = admin.get("/admin/").content.decode()
    assert "TOTP" not in index
    assert "otp" not in index.lower()
    assert admin.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin.get("/admin/otp_static/staticdevice/").status_code == 404
    for who in ("sysadmin", "secadmin", "auditadmin"):
        client = client_for(personas[who])
        for url in ("/accounts/two-factor/", ENROL, RECOVERY, "/accounts/roles/", "/audit/"):
            html = client.get(url, follow=True).content.decode()
            assert secret not in html
            assert not any(code in html for code in codes)


# --- the demo's public secrets ------------------------------------------------------------------


def _demo_errors() -> list[str]:
    return [m.id for m in run_checks(include_deployment_checks=True) if m.id == "accounts.E015"]


def test_check_deploy_fails_while_a_device_holds_a_demo_secret(
    make_user: Callable[..., User],
) -> None:
    assert _demo_errors() == []  # a clean database, and the tests' own devices
    expert = make_user(Role.EXPERT, username="expert")
    assert _demo_errors() == []
    TOTPDevice.objects.filter(user=expert).update(key=two_factor.demo_key("expert"))
    assert _demo_errors() == ["accounts.E015"]


def test_the_demo_secrets_load_only_with_demo_or_debug(db: None, settings: Any) -> None:
    settings.DEMO = False
    with pytest.raises(CommandError, match="DEMO=1"):
        call_command("seed_demo")
    assert not TOTPDevice.objects.exists()


def test_the_demo_gives_staff_a_documented_secret(db: None, settings: Any) -> None:
    from accounts.passwords import seeding
    from programs import demo

    demo.seed_units()
    demo.seed_program()
    with seeding():  # the documented demo password is weak by design
        demo.seed_users()
    listed = dict(demo.seed_two_factor())
    assert set(listed) == {
        "office",
        "town",
        "expert",
        "supervisor",
        "committee",
        "sysadmin",
        "secadmin",
        "auditadmin",
    }
    office = User.objects.get(username="office")
    device = TOTPDevice.objects.get(user=office)
    assert listed["office"] == two_factor.demo_secret("office")
    # oathtool --totp -b SECRET computes the same code.
    import base64

    key = base64.b32decode(listed["office"])
    assert _code_for(device) == f"{TOTP(key).token():06d}"
    assert not TOTPDevice.objects.filter(user__username="applicant").exists()


def test_the_second_factor_comes_before_a_forced_password_change(
    personas: dict[str, User],
) -> None:
    """The two gates never send each other round: code first, then the password change."""
    office = personas["office"]
    User.objects.filter(pk=office.pk).update(must_change_password=True)
    client = Client()
    assert _password(client, "p_office")["Location"].startswith(VERIFY)
    assert client.get(VERIFY).status_code == 200
    verified = client.post(VERIFY, {"otp": otp_code(office)}, follow=True)
    assert verified.redirect_chain[-1][0] == "/accounts/password/"
    assert verified.status_code == 200
