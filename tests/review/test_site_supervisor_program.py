"""A site group's supervisor holds the role in the group's own program (issue 18, decision
0030): the Office of 如皋 cannot seat 示例市's supervisor, nor is one offered."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Role
from experts import selectors
from experts import services as experts
from lib.errors import ServiceError
from tests.isolation_world import _b_program, grant
from tests.review.conftest import World


@pytest.mark.req("A27.1")
def test_a_supervisor_of_another_program_is_refused_and_not_offered(
    world: World, make_user: Any
) -> None:
    other = make_user(None, username="b_supervisor")
    grant(other, Role.SUPERVISOR, _b_program())
    group = world.group(world.organization, "site_review")
    with pytest.raises(ServiceError, match="请选择评审监督员"):
        experts.set_leader(
            actor=world.office, group=group, expert=world.experts[0], supervisor=other
        )
    assert other not in selectors.supervisors(world.cycle)
    assert world.supervisor in selectors.supervisors(world.cycle)
    experts.set_leader(
        actor=world.office, group=group, expert=world.experts[0], supervisor=world.supervisor
    )
