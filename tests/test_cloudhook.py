"""Home Assistant Cloud: a cloudhook is the callback URL, kept, relayed and removed.

Only Home Assistant Cloud itself is mocked: that it is loaded and logged in, and the making and
removing of cloudhooks. Everything else (the options flow, the webhook, the simulator's
deliveries) is real.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, patch

from aiohttp import web
from homeassistant.components import webhook as ha_webhook
from homeassistant.util.aiohttp import MockRequest, serialize_response
import pytest

from tests.conftest import setup_entry, v3_entry
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.simulator.simulator import Simulator

# Cloud pulls in voice assistants and cameras; an installation without their packages (like
# the minimum test environment) cannot import it, and the integration then never uses it.
cloud = pytest.importorskip("homeassistant.components.cloud")

BEV = sim_const.BEV_VEHICLE_ID
BATTERY = "sensor.volkswagen_id_4_battery"
TOKEN = sim_const.MANAGEMENT_TOKEN
POLLING = {"polling_mode": "balanced", "interval_minutes": 720, "monthly_budget": 500}
EXTERNAL_URL = "https://ha.example.com"
CLOUDHOOK = "https://hooks.nabu.casa/cloudhook-one"

pytestmark = pytest.mark.usefixtures("v3_credentials")


async def _options(hass: HomeAssistant, entry_id: str, user_input: dict[str, Any]) -> Any:
    result = await hass.config_entries.options.async_init(entry_id)
    return await hass.config_entries.options.async_configure(result["flow_id"], user_input)


async def _finish(hass: HomeAssistant, result: Any) -> Any:
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"smartcar_webhook_id": sim_const.WEBHOOK_ID}
    )
    await hass.async_block_till_done()
    return result


async def _entry(hass: HomeAssistant, sim: Simulator) -> MockConfigEntry:
    return await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))


@pytest.fixture
def cloud_loaded(hass: HomeAssistant) -> Iterator[None]:
    """Home Assistant Cloud is set up and logged in."""
    hass.config.components.add("cloud")
    with patch.object(cloud, "async_active_subscription", return_value=True):
        yield


@pytest.fixture
def cloud_hooks(cloud_loaded: None) -> Iterator[tuple[AsyncMock, AsyncMock]]:
    """Cloud makes cloudhooks (one URL after the other) and removes them."""
    urls = iter([CLOUDHOOK, "https://hooks.nabu.casa/cloudhook-two"])
    with (
        patch.object(
            cloud, "async_create_cloudhook", AsyncMock(side_effect=lambda *_: next(urls))
        ) as create,
        patch.object(cloud, "async_delete_cloudhook", AsyncMock()) as delete,
    ):
        yield create, delete


async def test_cloudhook_is_the_callback_url_and_is_kept(
    hass: HomeAssistant, sim: Simulator, cloud_hooks: tuple[AsyncMock, AsyncMock]
) -> None:
    """With Home Assistant Cloud a cloudhook is made once, kept across off/on, and removed."""
    create, delete = cloud_hooks
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await _entry(hass, sim)

    result = await _options(
        hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
    )
    assert result["description_placeholders"]["url"] == CLOUDHOOK
    await _finish(hass, result)
    webhook_id = entry.options["webhook_id"]
    create.assert_awaited_once_with(hass, webhook_id)
    assert entry.options["cloudhook_url"] == CLOUDHOOK

    await _options(hass, entry.entry_id, {**POLLING, "push": "off"})
    await hass.async_block_till_done()
    assert entry.options["cloudhook_url"] == CLOUDHOOK
    result = await _options(
        hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
    )
    assert result["description_placeholders"]["url"] == CLOUDHOOK
    await _finish(hass, result)
    assert create.await_count == 1
    delete.assert_not_awaited()

    # A new URL: a new webhook id and cloudhook; the old hook goes once the new one is saved.
    result = await _options(hass, entry.entry_id, {**POLLING, "push": "new_url"})
    assert result["description_placeholders"]["url"] == "https://hooks.nabu.casa/cloudhook-two"
    delete.assert_not_awaited()
    await _finish(hass, result)
    delete.assert_awaited_once_with(hass, webhook_id)
    assert entry.options["webhook_id"] != webhook_id

    # Removing the entry removes its cloudhook.
    delete.reset_mock()
    new_id = entry.options["webhook_id"]
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    delete.assert_awaited_once_with(hass, new_id)


async def test_cloudhook_of_an_abandoned_flow_is_removed(
    hass: HomeAssistant, sim: Simulator, cloud_hooks: tuple[AsyncMock, AsyncMock]
) -> None:
    """A cloudhook made to show the URL goes again when the user closes the dialog."""
    create, delete = cloud_hooks
    entry = await _entry(hass, sim)
    result = await _options(
        hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
    )
    assert result["description_placeholders"]["url"] == CLOUDHOOK
    hass.config_entries.options.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    webhook_id = create.await_args.args[1]
    delete.assert_awaited_once_with(hass, webhook_id)
    assert "webhook_id" not in entry.options


@pytest.mark.usefixtures("cloud_loaded")
async def test_cloud_not_connected_or_holding_an_old_hook(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Cloud not connected: the external URL; an old hook in Cloud: replaced, not an error."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await _entry(hass, sim)
    with patch.object(
        cloud, "async_create_cloudhook", AsyncMock(side_effect=cloud.CloudNotConnected)
    ):
        result = await _options(
            hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
        )
    assert result["description_placeholders"]["url"].startswith(f"{EXTERNAL_URL}/api/webhook/")
    hass.config_entries.options.async_abort(result["flow_id"])

    create = AsyncMock(side_effect=[ValueError("Hook is already enabled"), CLOUDHOOK])
    with (
        patch.object(cloud, "async_create_cloudhook", create),
        patch.object(cloud, "async_delete_cloudhook", AsyncMock()) as delete,
    ):
        result = await _options(
            hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
        )
        assert result["description_placeholders"]["url"] == CLOUDHOOK
        await _finish(hass, result)
        delete.assert_awaited_once_with(hass, entry.options["webhook_id"])
        assert create.await_count == 2

    assert entry.options["cloudhook_url"] == CLOUDHOOK, entry.options
    # Removing the entry after Cloud was left: nothing to remove there, no error.
    with patch.object(
        cloud, "async_delete_cloudhook", AsyncMock(side_effect=cloud.CloudNotAvailable)
    ):
        caplog.set_level(logging.DEBUG, "custom_components.smartcar")
        assert await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    assert "The cloudhook could not be removed" in caplog.text


@pytest.mark.usefixtures("cloud_loaded")
async def test_simulator_delivers_through_a_cloudhook(hass: HomeAssistant, sim: Simulator) -> None:
    """A cloudhook URL works like any other: Cloud hands deliveries over as a MockRequest.

    Home Assistant Cloud relays a cloudhook delivery into ``webhook.async_handle_webhook`` as
    a ``MockRequest`` (body, headers, no socket); a loopback relay does the same here, and the
    simulator delivers to its cloudhook-style URL.
    """
    hooks: dict[str, str] = {}

    async def relay(request: web.Request) -> web.Response:
        body = await request.read()
        mock = MockRequest(
            content=body.decode().encode(),
            mock_source="cloud",
            method=request.method,
            headers=dict(request.headers),
        )
        answer = serialize_response(
            await ha_webhook.async_handle_webhook(hass, hooks[request.match_info["hook"]], mock)
        )
        return web.Response(status=answer["status"], text=answer["body"])

    app = web.Application()
    app.router.add_post("/{hook}", relay)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def create(_hass: HomeAssistant, webhook_id: str) -> str:
        hooks["hook-1"] = webhook_id
        return f"http://127.0.0.1:{port}/hook-1"

    try:
        with patch.object(cloud, "async_create_cloudhook", create):
            entry = await setup_entry(hass, v3_entry(sim, vehicle_ids=[BEV]))
            result = await hass.config_entries.options.async_init(entry.entry_id)
            result = await hass.config_entries.options.async_configure(
                result["flow_id"],
                {**POLLING, "push": "on", "management_token": sim_const.MANAGEMENT_TOKEN},
            )
            url = result["description_placeholders"]["url"]
            assert url == f"http://127.0.0.1:{port}/hook-1"
            await hass.config_entries.options.async_configure(
                result["flow_id"], {"smartcar_webhook_id": sim_const.WEBHOOK_ID}
            )
            await hass.async_block_till_done()

        webhook = sim.webhooks.get(sim_const.WEBHOOK_ID)
        assert webhook is not None
        webhook.url = url
        assert (await sim.webhooks.verify(webhook))["verified"]
        sim.webhooks.subscribe(sim_const.WEBHOOK_ID, BEV)
        await sim.webhooks.drain()
        sim.set_vehicle_state(BEV, soc=88.0)
        await sim.webhooks.drain()
        await hass.async_block_till_done()
        assert [delivery.status for delivery in sim.webhooks.deliveries] == [200, 200, 200]
        assert hass.states.get(BATTERY).state == "88.0"
    finally:
        await runner.cleanup()


async def test_no_cloud_no_cloudhook(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Cloud not loaded: the external URL, and a kept cloudhook is left alone on removal."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await setup_entry(
        hass,
        v3_entry(
            sim,
            vehicle_ids=[BEV],
            options={**POLLING, "webhook_id": "kept", "cloudhook_url": CLOUDHOOK},
        ),
    )
    with patch.object(cloud, "async_create_cloudhook", AsyncMock()) as create:
        result = await _options(
            hass, entry.entry_id, {**POLLING, "push": "new_url", "management_token": TOKEN}
        )
        assert result["description_placeholders"]["url"].startswith(f"{EXTERNAL_URL}/api/webhook/")
        create.assert_not_awaited()
        await _finish(hass, result)
    assert "cloudhook_url" not in entry.options
    assert "its cloudhook for Smartcar stays" in caplog.text


async def test_cloud_loaded_but_logged_out(hass: HomeAssistant, sim: Simulator) -> None:
    """Cloud set up without a subscription: no cloudhook is tried; the external URL is shown."""
    hass.config.components.add("cloud")
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = await _entry(hass, sim)
    with (
        patch.object(cloud, "async_active_subscription", return_value=False),
        patch.object(cloud, "async_create_cloudhook", AsyncMock()) as create,
    ):
        result = await _options(
            hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
        )
    create.assert_not_awaited()
    assert result["description_placeholders"]["url"].startswith(f"{EXTERNAL_URL}/api/webhook/")


async def test_diagnostics_hide_the_cloudhook(
    hass: HomeAssistant, sim: Simulator, cloud_hooks: tuple[AsyncMock, AsyncMock]
) -> None:
    """Anyone with the cloudhook URL can post to it: diagnostics redact it like the id."""
    from custom_components.smartcar.diagnostics import (
        async_get_config_entry_diagnostics,
    )

    entry = await _entry(hass, sim)
    result = await _options(
        hass, entry.entry_id, {**POLLING, "push": "on", "management_token": TOKEN}
    )
    await _finish(hass, result)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert CLOUDHOOK not in str(diagnostics)
    assert entry.options["webhook_id"] not in str(diagnostics)
    assert diagnostics["push"]["enabled"] is True
