"""End to end: the shipped blueprints imported into a real Home Assistant, acting on the cars.

Each test imports its blueprint the way the my.home-assistant.io link does (Home Assistant
fetches the file by URL and saves it where an import from GitHub puts it), creates an
automation from it over the REST API, changes the simulated cars and checks what the
automation did to them and in Home Assistant. The files are served from this work tree on
loopback, since the tests have no internet.

Home Assistant reads a car at most once every ten seconds on request (a second request waits
for the rest of that time), so the tests spread their reads over the four cars and wait for
Home Assistant to show a change rather than assume it at once.
"""

from __future__ import annotations

from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
import threading
from typing import TYPE_CHECKING, Any, override

import pytest

from tests.e2e import harness
from tests.e2e.cars import (
    HOME,
    Automation,
    change_car,
    create_automation,
    eventually,
    in_seconds,
    new_notification,
    notifications,
    read_cars,
    state,
)
from tests.simulator import const as sim

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from tests.e2e.plugin import Stack

BLUEPRINTS = harness.ROOT / "blueprints" / "automation" / "smartcar"
GITHUB = "https://github.com/ha-smartcar/smartcar/blob/main/blueprints/automation/smartcar/"
VW = sim.BEV_VEHICLE_ID
RAV4 = sim.PHEV_VEHICLE_ID
FORD = sim.ICE_VEHICLE_ID
TESLA = sim.TESLA_VEHICLE_ID
#: What the tests change on a car and put back afterwards (in this order).
RESTORED = (
    "latitude",
    "longitude",
    "virtual_key_paired",
    "locked",
    "soc",
    "charge_limit",
    "plugged_in",
    "charging",
)
#: An entity of each car, to have Home Assistant read it.
ENTITY = {
    VW: "sensor.volkswagen_id_4_battery",
    RAV4: "sensor.toyota_rav4_prime_battery",
    FORD: "lock.ford_escape",
    TESLA: "sensor.tesla_model_3_battery",
}


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    @override
    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture(scope="module")
def blueprint_server() -> Iterator[str]:
    """The blueprints folder over HTTP on loopback, standing in for GitHub's raw files."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_QuietHandler, directory=str(BLUEPRINTS))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def import_blueprint(stack: Stack, server: str, name: str) -> str:
    """Import a blueprint by URL and save it as the GitHub import would; return its path."""
    imported = await stack.ws({"type": "blueprint/import", "url": f"{server}/{name}.yaml"})
    assert imported["validation_errors"] is None, imported
    assert imported["blueprint"]["metadata"]["domain"] == "automation"
    # Importing https://github.com/ha-smartcar/smartcar/blob/... suggests ha-smartcar/<name>.
    path = f"ha-smartcar/{name}.yaml"
    await stack.ws(
        {
            "type": "blueprint/save",
            "domain": "automation",
            "path": path,
            "yaml": imported["raw_data"],
            "source_url": f"{GITHUB}{name}.yaml",
            "allow_override": True,
        }
    )
    listed = await stack.ws({"type": "blueprint/list", "domain": "automation"})
    assert listed[path]["metadata"]["source_url"] == f"{GITHUB}{name}.yaml", listed[path]
    return path


async def vehicle(stack: Stack, vehicle_id: str) -> dict[str, Any]:
    """The simulated car's state."""
    return await stack.vehicle(vehicle_id)


@pytest.fixture
async def cars_restored(stack: Stack, entry: None) -> AsyncIterator[None]:
    """Put the cars a test changed back as they were, and have Home Assistant read them."""

    async def snapshot() -> dict[str, dict[str, Any]]:
        cars = await stack.admin("GET", "vehicles")
        return {
            car["id"]: {key: car[key] for key in RESTORED} for car in cars if car["id"] in ENTITY
        }

    before = await snapshot()
    try:
        yield
    finally:
        after = await snapshot()
        changed = [vehicle_id for vehicle_id in before if after[vehicle_id] != before[vehicle_id]]
        for vehicle_id in changed:
            await stack.admin("PATCH", f"vehicles/{vehicle_id}", before[vehicle_id])
        # Home Assistant does not see the virtual key: only other changes need a read.
        shown = [
            vehicle_id
            for vehicle_id in changed
            if {**after[vehicle_id], "virtual_key_paired": None}
            != {**before[vehicle_id], "virtual_key_paired": None}
        ]
        if shown:
            await read_cars(stack, *(ENTITY[vehicle_id] for vehicle_id in shown))


@pytest.fixture
async def automations(stack: Stack) -> AsyncIterator[list[Automation]]:
    """Automations a test creates, deleted afterwards."""
    created: list[Automation] = []
    try:
        yield created
    finally:
        for automation in created:
            await automation.delete()


async def shows(stack: Stack, entity_id: str, expected: str) -> None:
    """Wait until Home Assistant shows `expected` as the entity's state."""
    await eventually(
        partial(state, stack, entity_id),
        lambda item: item["state"] == expected,
        what=f"{entity_id} to be {expected}",
    )


async def car_becomes(stack: Stack, vehicle_id: str, **expected: Any) -> None:
    """Wait until the simulated car's state has the expected values."""
    await eventually(
        partial(vehicle, stack, vehicle_id),
        lambda car: all(car[key] == value for key, value in expected.items()),
        what=f"{vehicle_id} to have {expected}",
    )


async def call(stack: Stack, service: str, entity_id: str) -> None:
    """Call an action on an entity as the owner (a person) would."""
    domain, name = service.split(".")
    await stack.api("POST", f"services/{domain}/{name}", {"entity_id": entity_id})


async def test_plug_in_reminder(
    stack: Stack, blueprint_server: str, cars_restored: None, automations: list[Automation]
) -> None:
    """The reminder reads the cars, then names the low, unplugged car at home, not the other."""
    path = await import_blueprint(stack, blueprint_server, "plug_in_reminder")
    # The ID.4 comes home and is unplugged with 30 %; the RAV4, low too, stays in Munich.
    # Home Assistant does not read the cars: the automation does.
    await stack.admin(
        "PATCH",
        f"vehicles/{VW}",
        {"latitude": HOME[0], "longitude": HOME[1], "plugged_in": False, "soc": 30.0},
    )
    await stack.admin("PATCH", f"vehicles/{RAV4}", {"plugged_in": False, "soc": 20.0})
    assert (await state(stack, "sensor.volkswagen_id_4_battery"))["state"] != "30.0"
    seen = set(await notifications(stack))

    automation = await create_automation(
        stack,
        path,
        {
            "batteries": ["sensor.volkswagen_id_4_battery", "sensor.toyota_rav4_prime_battery"],
            "ranges": ["sensor.volkswagen_id_4_range", "sensor.toyota_rav4_prime_range"],
            "reminder_time": await in_seconds(stack, 3),
            "below": 40,
            "only_at_home": True,
            "read_first": True,
        },
    )
    automations.append(automation)

    note = await new_notification(stack, seen, containing="Volkswagen ID.4", within=45)
    range_km = round((await vehicle(stack, VW))["battery_range_km"])
    assert note["title"] == "Plug in Volkswagen ID.4"
    assert note["message"] == f"Volkswagen ID.4 is at 30 % ({range_km} km left) and not plugged in."
    assert float((await state(stack, "sensor.volkswagen_id_4_battery"))["state"]) == 30
    assert (await state(stack, "binary_sensor.volkswagen_id_4_charging_cable"))["state"] == "off"
    assert (await state(stack, "device_tracker.volkswagen_id_4_location"))["state"] == "home"
    # The RAV4 was read as well, but it is not at home.
    assert float((await state(stack, "sensor.toyota_rav4_prime_battery"))["state"]) == 20
    fresh = [key for key in await notifications(stack) if key not in seen]
    assert len(fresh) == 1, fresh


async def test_lock_left_unlocked(
    stack: Stack, blueprint_server: str, cars_restored: None, automations: list[Automation]
) -> None:
    """A car left unlocked is locked, not while the driver is beside one, and at night."""
    path = await import_blueprint(stack, blueprint_server, "lock_left_unlocked")
    await stack.admin("POST", f"vehicles/{TESLA}/pair-key", {})
    person = await stack.ws(
        {
            "type": "person/create",
            "name": "E2E Driver",
            "device_trackers": ["device_tracker.e2e_driver_phone"],
        }
    )
    try:
        # The driver is at home, as is the Ford; the Tesla is in San Francisco.
        await stack.api("POST", "states/device_tracker.e2e_driver_phone", {"state": "home"})
        await shows(stack, "person.e2e_driver", "home")
        await shows(stack, "device_tracker.ford_escape_location", "home")
        inputs: dict[str, Any] = {
            "locks": ["lock.tesla_model_3", "lock.ford_escape"],
            "unlocked_for": {"hours": 0, "minutes": 0, "seconds": 2},
            "check_at_night": False,
            "people": ["person.e2e_driver"],
        }
        automation = await create_automation(stack, path, inputs)
        automations.append(automation)
        seen = set(await notifications(stack))

        # Both cars are unlocked. Two seconds later the Tesla is locked again; the Ford,
        # with the driver beside it, is left alone.
        runs = await automation.traces()
        for vehicle_id, lock in ((FORD, "lock.ford_escape"), (TESLA, "lock.tesla_model_3")):
            await change_car(stack, vehicle_id, ENTITY[vehicle_id], locked=False)
            await shows(stack, lock, "unlocked")
        await car_becomes(stack, TESLA, locked=True)
        await shows(stack, "lock.tesla_model_3", "locked")
        note = await new_notification(
            stack, seen, containing="Tesla Model 3 was left unlocked and has been locked."
        )
        assert note["title"] == "Tesla Model 3"
        outcomes = sorted(run["script_execution"] for run in await automation.next_runs(runs, 2))
        assert outcomes == ["failed_conditions", "finished"], outcomes
        assert (await vehicle(stack, FORD))["locked"] is False

        # The driver leaves; the night check a few seconds from now locks the Ford.
        await stack.api("POST", "states/device_tracker.e2e_driver_phone", {"state": "not_home"})
        inputs |= {"check_at_night": True, "night_time": await in_seconds(stack, 3)}
        await automation.update(path, inputs)
        await car_becomes(stack, FORD, locked=True)
        await shows(stack, "lock.ford_escape", "locked")
        await new_notification(
            stack, seen, containing="Ford Escape was left unlocked and has been locked."
        )
    finally:
        await stack.ws({"type": "person/delete", "person_id": person["id"]})
        await stack.api("DELETE", "states/device_tracker.e2e_driver_phone")


async def test_charge_when_cheap_or_sunny(
    stack: Stack, blueprint_server: str, cars_restored: None, automations: list[Automation]
) -> None:
    """Price and solar surplus start and stop charging; the limit and the ready-by rule hold."""
    path = await import_blueprint(stack, blueprint_server, "charge_when_cheap_or_sunny")
    price = "sensor.e2e_electricity_price"
    solar = "input_boolean.e2e_solar_surplus"
    switch = "switch.tesla_model_3_charging"
    helper = await stack.ws({"type": "input_boolean/create", "name": "E2E solar surplus"})
    await stack.api(
        "POST", f"states/{price}", {"state": "0.30", "attributes": {"unit_of_measurement": "USD"}}
    )
    # At home and plugged in: the Tesla at 50 % of 80 %, the RAV4 full at its limit.
    await stack.admin("POST", f"vehicles/{TESLA}/pair-key", {})
    home = {"latitude": HOME[0], "longitude": HOME[1], "plugged_in": True}
    await change_car(
        stack, TESLA, ENTITY[TESLA], **home, soc=50.0, charge_limit=80.0, charging=False
    )
    await change_car(stack, RAV4, ENTITY[RAV4], **home, soc=100.0, charge_limit=100.0)
    await shows(stack, "sensor.tesla_model_3_battery", "50.0")
    await shows(stack, "device_tracker.tesla_model_3_location", "home")
    await shows(stack, "sensor.toyota_rav4_prime_charging_state", "fully_charged")
    await shows(stack, "device_tracker.toyota_rav4_prime_location", "home")
    inputs: dict[str, Any] = {
        "switches": [switch, "switch.toyota_rav4_prime_charging"],
        "price_sensor": price,
        "price_below": 0.15,
        "good_condition": solar,
        "ready_by_level": 0,
        "only_at_home": True,
    }

    async def charging(expected: bool) -> None:
        await car_becomes(stack, TESLA, charging=expected)
        await shows(stack, switch, "on" if expected else "off")

    try:
        automation = await create_automation(stack, path, inputs)
        automations.append(automation)

        # Cheap: the Tesla charges, the RAV4 stays at its limit. Expensive again: it stops.
        await stack.api("POST", f"states/{price}", {"state": "0.10"})
        await charging(True)
        assert (await vehicle(stack, RAV4))["charging"] is False
        await stack.api("POST", f"states/{price}", {"state": "0.30"})
        await charging(False)
        # Solar surplus on, then off.
        await call(stack, "input_boolean.turn_on", solar)
        await charging(True)
        await call(stack, "input_boolean.turn_off", solar)
        await charging(False)

        # Expensive, but 70 % are wanted within the hour: the periodic check (run here by
        # hand) starts charging. With 45 % wanted it stops again.
        inputs |= {"ready_by": await in_seconds(stack, 3600), "ready_by_level": 70}
        await automation.update(path, inputs)
        await call(stack, "automation.trigger", automation.entity_id)
        await charging(True)
        inputs |= {"ready_by_level": 45}
        await automation.update(path, inputs)
        await call(stack, "automation.trigger", automation.entity_id)
        await charging(False)

        # Someone starts charging by hand while it is expensive: the check leaves it alone.
        await call(stack, "switch.turn_on", switch)
        await charging(True)
        runs = await automation.traces()
        await call(stack, "automation.trigger", automation.entity_id)
        await automation.next_runs(runs)
        assert (await vehicle(stack, TESLA))["charging"] is True
        assert (await vehicle(stack, RAV4))["charging"] is False
    finally:
        await stack.ws({"type": "input_boolean/delete", "input_boolean_id": helper["id"]})
        await stack.api("DELETE", f"states/{price}")


async def test_charging_finished_or_interrupted(
    stack: Stack, blueprint_server: str, cars_restored: None, automations: list[Automation]
) -> None:
    """An unexpected stop and a full battery are told; a stop someone asked for is not."""
    path = await import_blueprint(stack, blueprint_server, "charging_finished_or_interrupted")
    sensor = "sensor.volkswagen_id_4_charging_state"
    switch = "switch.volkswagen_id_4_charging"
    battery = "sensor.volkswagen_id_4_battery"
    if (await state(stack, sensor))["state"] != "charging":
        await change_car(stack, VW, sensor, plugged_in=True, charging=True)
        await shows(stack, sensor, "charging")
    automation = await create_automation(stack, path, {"charging_states": [sensor]})
    automations.append(automation)
    seen = set(await notifications(stack))

    # The car stops by itself while plugged in.
    await change_car(stack, VW, sensor, charging=False)
    note = await new_notification(stack, seen, containing="stopped")
    level = round(float((await state(stack, battery))["state"]))
    limit = round((await vehicle(stack, VW))["charge_limit"])
    assert note["title"] == "Volkswagen ID.4"
    assert note["message"] == (
        f"Charging of Volkswagen ID.4 stopped at {level} %, below its limit of {limit} %, "
        "while the cable is plugged in."
    )
    seen.add(note["notification_id"])

    # Someone starts and stops charging through Home Assistant: nothing to tell.
    await call(stack, "switch.turn_on", switch)
    await shows(stack, sensor, "charging")
    runs = await automation.traces()
    await call(stack, "switch.turn_off", switch)
    (run,) = await automation.next_runs(runs)
    assert run["script_execution"] == "aborted", run  # at the condition: nothing to tell
    assert (await vehicle(stack, VW))["charging"] is False

    # Charging up to the limit: the simulator's clock moves a minute on.
    await call(stack, "switch.turn_on", switch)
    await stack.admin("PATCH", f"vehicles/{VW}", {"soc": limit - 0.05})
    await stack.admin("POST", "clock/advance", {"seconds": 60})
    assert (await vehicle(stack, VW))["charging_state"] == "FULLY_CHARGED"
    await read_cars(stack, sensor)
    note = await new_notification(stack, seen, containing="finished")
    assert note["message"] == f"Volkswagen ID.4 has finished charging at {limit} %."
    assert (await state(stack, sensor))["state"] == "fully_charged"
    assert [key for key in await notifications(stack) if key not in seen] == [
        note["notification_id"]
    ]
