"""The provincial administrator's 各地奖项概况 (issue 18), at /office/province/ (config/urls.py);
in `desk` because it reads every stage (desk/province.py)."""

from __future__ import annotations

from django.urls import path

from . import province

app_name = "province"

urlpatterns = [
    path("", province.province, name="overview"),
    path("export.xlsx", province.province_xlsx, name="export"),
]
