"""Receipts say an entity's state as lists do: Keitaro's `disabled` reads `paused`, its `deleted` reads `archived`."""

from __future__ import annotations

from keitaro_mcp.receipts import effects_of, in_tool_words


def test_a_state_change_reads_in_the_tools_words() -> None:
    changes = in_tool_words({"state": {"before": "active", "after": "disabled"}, "name": {"before": "a", "after": "b"}})
    assert changes == {"state": {"before": "active", "after": "paused"}, "name": {"before": "a", "after": "b"}}
    assert effects_of("campaign", "disable", changes) == ["It stops serving traffic until it is resumed."]
    archived = in_tool_words({"state": {"before": "disabled", "after": "deleted"}})
    assert archived == {"state": {"before": "paused", "after": "archived"}}
    assert effects_of("stream", "delete", archived)[0].startswith("It is archived")


def test_nested_states_read_in_the_tools_words_and_other_fields_stay_as_sent() -> None:
    changes = in_tool_words({
        "offers[3].state": {"before": "active", "after": "disabled"},
        "offers": {"before": None, "after": [{"offer_id": 2, "state": "disabled"}, {"offer_id": 5}]},
        "status": {"before": "disabled", "after": "active"},  # not a state: left as the tracker said it
    })  # fmt: skip
    assert changes["offers[3].state"] == {"before": "active", "after": "paused"}
    assert changes["offers"]["after"] == [{"offer_id": 2, "state": "paused"}, {"offer_id": 5}]
    assert changes["status"] == {"before": "disabled", "after": "active"}
