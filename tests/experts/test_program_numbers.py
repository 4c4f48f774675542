"""The expert's conditions say the program's practice years (A8.1, issue 18): the field's own
name holds no number; the gap names the policy's."""

from __future__ import annotations

import pytest

from experts import services
from experts.models import Expert
from programs.models import Policy
from tests.experts.test_pool import expert

__all__ = ["expert"]


@pytest.mark.req("A8.1", "I18.1")
def test_the_practice_evidence_names_no_number() -> None:
    label = str(Expert._meta.get_field("evidence_practice").verbose_name)
    assert label == "实践经验年限及分析沟通能力的依据"


@pytest.mark.req("A8.1", "I18.1")
def test_the_gap_says_the_policys_practice_years(expert: Expert, policy: Policy) -> None:
    policy.min_expert_practice_years = 8
    expert.practice_years = 6
    assert services.qualification_gaps(expert, policy) == [
        "第八条第二项：须有8年以上实践经验及其依据"
    ]
