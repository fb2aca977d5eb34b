"""Report labels: the white and black lists of parameter values per campaign (report filter HAS_LABEL)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from keitaro_mcp.operations._common import CampaignId, Params
from keitaro_mcp.operations._entity import operation_factory

__all__ = ["OPERATIONS"]

# The spec lists ip, source, ad_campaign_id, creative_id, keyword, ad_campaign_idn (a typo) and sub_id_1..10;
# sub_id goes up to 30 on current trackers (reference §11).
_REF_NAME = re.compile(r"ip|source|ad_campaign_id|creative_id|keyword|sub_id_([1-9]|[12][0-9]|30)")


def _ref_name(value: str) -> str:
    if not _REF_NAME.fullmatch(value):
        raise ValueError("use ip, source, ad_campaign_id, creative_id, keyword or sub_id_1..30")
    return value


# A closed vocabulary too long for an enum (35 names): published as a pattern, checked by the validator (whose
# message names the choices, where pydantic's own would only repeat the pattern).
RefName = Annotated[
    str,
    AfterValidator(_ref_name),
    Field(json_schema_extra={"pattern": f"^({_REF_NAME.pattern})$"}),
]
Label = Literal["whitelist", "blacklist"]


class GetLabels(Params):
    """Get a campaign's labels for one parameter."""

    campaign_id: CampaignId
    ref_name: RefName
    label_name: Label


class UpdateLabels(Params):
    """Whitelist or blacklist a campaign's parameter values."""

    campaign_id: CampaignId
    ref_name: RefName
    items: dict[str, Label] = Field(min_length=1)
    """e.g. {"Feed_1": "blacklist"}."""


_labels = operation_factory("blacklist", "labels")

OPERATIONS = (
    _labels(name="get_labels", operation="get", method="GET", path="/report/labels", params=GetLabels,
            title="Get report labels", read_only=True),
    _labels(name="update_labels", operation="update", method="POST", path="/report/labels", params=UpdateLabels,
            title="Update report labels", effect="update", idempotent=True),
)  # fmt: skip
