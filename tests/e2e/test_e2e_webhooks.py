"""End to end: a user turns webhooks on in the options and sees pushed values on the device page.

The simulator plays Smartcar's side: it is given the callback URL the options show, verifies it
(inside the verification window the options opened), and pushes a change of the car, which the
device page shows without any read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.e2e.test_e2e import device_page, wait_until
from tests.simulator import const as sim

if TYPE_CHECKING:
    from playwright.async_api import Page

    from tests.e2e.plugin import Stack

ODOMETER_KM = 24680.0


async def test_enable_webhooks_in_the_ui_and_see_a_push(
    stack: Stack, page: Page, shot: Any, entry: None
) -> None:
    """Options → Webhooks on + token → the URL → Smartcar verifies → a push shows up."""
    # An address Smartcar can reach; loopback stands in for the internet here.
    await stack.ws({"type": "config/core/update", "external_url": stack.base_url})
    try:
        await page.goto(f"{stack.base_url}/config/integrations/integration/smartcar")
        await page.get_by_role("button", name="Configure").first.click()
        dialog = page.locator("dialog-data-entry-flow")
        await dialog.get_by_text("Webhooks", exact=True).first.wait_for()
        await shot("options")
        await dialog.get_by_role("radio", name="On", exact=True).check()
        await dialog.locator("input[type=password]").fill(sim.MANAGEMENT_TOKEN)
        await shot("options-filled")
        await dialog.get_by_role("button", name="Submit").click()

        await dialog.get_by_text("Set up the Smartcar webhook").wait_for()
        pattern = re.compile(rf"{re.escape(stack.base_url)}/api/webhook/[0-9a-f]{{64}}")
        shown = dialog.get_by_text(pattern).first
        await shown.wait_for()
        text = await shown.inner_text()
        match = pattern.search(text)
        assert match, text
        url = match.group(0)
        # The webhook's ID as Smartcar's dashboard shows it, to subscribe the vehicles.
        await dialog.get_by_role("textbox", name="Smartcar webhook ID").fill(sim.WEBHOOK_ID)
        await shot("webhook-url")
        await dialog.get_by_role("button", name="Submit").click()
        await page.get_by_role("button", name="Finish").click()
        await wait_until(_entry_state(stack), "loaded")

        # Smartcar's side: the webhook gets the URL, is verified and the car subscribed.
        answer = await stack.admin(
            "PUT", f"webhooks/{sim.WEBHOOK_ID}", {"url": url, "verify": True}
        )
        assert answer["verify"]["verified"], answer
        await stack.admin(
            "POST",
            f"webhooks/{sim.WEBHOOK_ID}/subscriptions",
            {"vehicle_id": sim.BEV_VEHICLE_ID},
        )
        reads = len(await stack.admin("GET", "requests?path=/v3/vehicles"))
        assert reads > 0  # the reads at setup and at the reload after the options
        await stack.admin("PATCH", f"vehicles/{sim.BEV_VEHICLE_ID}", {"odometer_km": ODOMETER_KM})

        await page.goto(await device_page(stack, sim.BEV_VEHICLE_ID))
        await page.get_by_text("24,680 km").first.wait_for()
        await shot("device-pushed")
        last_push = page.get_by_text("Last webhook delivery").first
        await last_push.scroll_into_view_if_needed()
        await shot("device-last-push")
        # The value came by push: Home Assistant read nothing from Smartcar meanwhile.
        assert len(await stack.admin("GET", "requests?path=/v3/vehicles")) == reads
        deliveries = await stack.admin("GET", "webhooks/deliveries")
        pushed = [item for item in deliveries if item["event_type"] == "VEHICLE_STATE"]
        assert pushed
        assert all(item["status"] == 200 for item in pushed)

        # The options show webhooks on, and never the stored token.
        await page.goto(f"{stack.base_url}/config/integrations/integration/smartcar")
        await page.get_by_role("button", name="Configure").first.click()
        await dialog.get_by_text("Webhooks", exact=True).first.wait_for()
        assert await dialog.get_by_role("radio", name="On", exact=True).is_checked()
        assert await dialog.locator("input[type=password]").input_value() == ""
        await shot("options-again")
    finally:
        await stack.ws({"type": "config/core/update", "external_url": None})
        await _webhooks_off(stack)


async def _webhooks_off(stack: Stack) -> None:
    """Leave the shared entry as the other tests expect it: polling only."""
    entries = await stack.api("GET", "config/config_entries/entry?domain=smartcar")
    flow = await stack.api(
        "POST", "config/config_entries/options/flow", {"handler": entries[0]["entry_id"]}
    )
    await stack.api(
        "POST",
        f"config/config_entries/options/flow/{flow['flow_id']}",
        {
            "polling_mode": "balanced",
            "interval_minutes": 720,
            "monthly_budget": 500,
            "push": "off",
        },
    )
    await wait_until(_entry_state(stack), "loaded")


def _entry_state(stack: Stack) -> Any:
    async def read() -> str:
        entries = await stack.api("GET", "config/config_entries/entry?domain=smartcar")
        return str(entries[0]["state"])

    return read
