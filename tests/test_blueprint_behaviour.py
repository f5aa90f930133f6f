"""What the blueprints do, with the simulated cars and Home Assistant's clock under control.

The end-to-end suite shows each blueprint's main path in a real Home Assistant; these tests go
through the cases it leaves out (several cars at once, a person beside the car, a refused
command, cars away from home, the ready-by window, a person's own choice, an unplugged car), in
Home Assistant's test harness where time can be moved on.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.core import Context
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from tests.conftest import setup_entry, v3_entry
from tests.simulator import const as sim_const

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import Event, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockUser

    from tests.simulator.simulator import Simulator

BLUEPRINTS = Path(__file__).resolve().parent.parent / "blueprints" / "automation" / "smartcar"
VW = sim_const.BEV_VEHICLE_ID
RAV4 = sim_const.PHEV_VEHICLE_ID
#: Where the simulated ID.4 is parked; these tests make it home.
BERLIN = (52.520008, 13.404954)
#: Instead of a persistent notification, an event the test can see, with the variables.
NOTE = [
    {
        "event": "smartcar_note",
        "event_data": {"car": "{{ car }}", "message": "{{ message }}"},
    }
]

pytestmark = pytest.mark.usefixtures("v3_credentials")


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration directory of the test's own, for the blueprints."""
    return hass_tmp_config_dir


@pytest.fixture(autouse=True)
async def automations_stopped(hass: HomeAssistant) -> AsyncIterator[None]:
    """Switch the automations off after each test, so that no trigger waits on the clock."""
    yield
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )
        await hass.async_block_till_done()


def _copy_blueprints(folder: Path) -> None:
    shutil.copytree(BLUEPRINTS, folder, dirs_exist_ok=True)


async def _setup(hass: HomeAssistant, sim: Simulator, *vehicle_ids: str) -> None:
    """The integration with these cars, Berlin as home, and the blueprints in place."""
    hass.config.latitude, hass.config.longitude = BERLIN
    assert await async_setup_component(hass, "homeassistant", {})
    await setup_entry(hass, v3_entry(sim, vehicle_ids=list(vehicle_ids)))
    folder = Path(hass.config.path("blueprints", "automation", "ha-smartcar"))
    await hass.async_add_executor_job(_copy_blueprints, folder)


async def _automations(hass: HomeAssistant, name: str, *inputs: dict[str, Any]) -> None:
    """One automation from the blueprint for each set of inputs."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "alias": f"{name} {index}",
                    "use_blueprint": {"path": f"ha-smartcar/{name}.yaml", "input": given},
                }
                for index, given in enumerate(inputs)
            ]
        },
    )
    await hass.async_block_till_done()


async def _read(hass: HomeAssistant, sim: Simulator, vehicle_id: str, **changes: Any) -> None:
    """Change a simulated car and let Home Assistant read it; let what follows run."""
    if changes:
        sim.set_vehicle_state(vehicle_id, **changes)
    (entry,) = hass.config_entries.async_entries("smartcar")
    for coordinator in entry.runtime_data.coordinators.values():
        if coordinator.vehicle_id == vehicle_id:
            await coordinator.async_refresh()
    await _settle(hass)


async def _settle(hass: HomeAssistant) -> None:
    """Wait for Home Assistant to be done, moving its timers on past short delays.

    An automation waiting in a delay keeps Home Assistant busy until the delay's timer fires,
    which in tests only happens when fired: give the automations a few turns of the event loop
    to reach their delays, fire the timers a few seconds ahead, then wait for the rest.
    """
    for _ in range(20):
        for _ in range(10):
            await asyncio.sleep(0)
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()


async def _later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, **delta: float) -> None:
    """Let time pass in Home Assistant."""
    freezer.tick(timedelta(**delta))
    async_fire_time_changed(hass)
    await _settle(hass)


def _messages(events: list[Event]) -> list[str]:
    return sorted(event.data["message"].strip() for event in events)


def _clock_in(minutes: int) -> str:
    """Home Assistant's local time `minutes` from now, for a time input."""
    return (dt_util.now() + timedelta(minutes=minutes)).strftime("%H:%M:%S")


async def test_lock_spares_the_car_beside_its_driver(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Two cars left unlocked: the one in the driver's zone stays open until night."""
    await _setup(hass, sim, VW, RAV4)
    notes = async_capture_events(hass, "smartcar_note")
    hass.states.async_set("person.alex", "home")
    await _automations(
        hass,
        "lock_left_unlocked",
        {
            "locks": ["lock.volkswagen_id_4", "lock.toyota_rav4_prime"],
            "unlocked_for": {"minutes": 5},
            "night_time": _clock_in(60),
            "people": ["person.alex"],
            "notification": NOTE,
        },
    )
    assert hass.states.get("device_tracker.volkswagen_id_4_location").state == "home"
    for vehicle_id in (VW, RAV4):
        await _read(hass, sim, vehicle_id, locked=False)

    await _later(hass, freezer, minutes=4)
    assert not notes
    await _later(hass, freezer, minutes=2)

    assert sim.vehicle(RAV4).locked is True
    assert sim.vehicle(VW).locked is False
    assert _messages(notes) == ["Toyota RAV4 Prime was left unlocked and has been locked."]
    assert notes[0].data["car"] == "Toyota RAV4 Prime"

    # At night Alex has gone out, but the ID.4 refuses: a door is open.
    hass.states.async_set("person.alex", "not_home")
    sim.inject_fault(
        vehicle_id=VW,
        path="/commands/security/lock",
        error_type="VEHICLE_STATE",
        error_code="DOOR_OPEN",
    )
    await _later(hass, freezer, minutes=55)

    assert sim.vehicle(VW).locked is False
    assert hass.states.get("lock.volkswagen_id_4").state == "unlocked"
    assert _messages(notes)[0] == "Toyota RAV4 Prime was left unlocked and has been locked."
    assert "Volkswagen ID.4 was left unlocked and could not be locked." in _messages(notes)


async def test_lock_night_check_can_be_off(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Without the night check, a car unlocked for less than the time set stays unlocked."""
    await _setup(hass, sim, VW)
    hass.states.async_set("person.alex", "home")
    await _automations(
        hass,
        "lock_left_unlocked",
        {
            "locks": ["lock.volkswagen_id_4"],
            "unlocked_for": {"hours": 2},
            "check_at_night": False,
            "night_time": _clock_in(30),
            "people": ["person.alex"],
        },
    )
    await _read(hass, sim, VW, locked=False)
    hass.states.async_set("person.alex", "not_home")

    await _later(hass, freezer, minutes=40)

    assert sim.vehicle(VW).locked is False


@pytest.mark.parametrize(
    ("only_at_home", "expected"),
    [
        (True, ["Volkswagen ID.4 is at 30 % and not plugged in."]),
        (
            False,
            [
                "Toyota RAV4 Prime is at 20 % and not plugged in.",
                "Volkswagen ID.4 is at 30 % and not plugged in.",
            ],
        ),
    ],
)
async def test_reminder_without_reading_first(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    only_at_home: bool,
    expected: list[str],
) -> None:
    """Low and unplugged cars, at home or anywhere; no range sensors, no extra reads."""
    await _setup(hass, sim, VW, RAV4)
    notes = async_capture_events(hass, "smartcar_note")
    await _read(hass, sim, VW, plugged_in=False, soc=30.0)
    await _read(hass, sim, RAV4, soc=20.0)
    await _automations(
        hass,
        "plug_in_reminder",
        {
            "batteries": ["sensor.volkswagen_id_4_battery", "sensor.toyota_rav4_prime_battery"],
            "reminder_time": _clock_in(10),
            "only_at_home": only_at_home,
            "notification": NOTE,
        },
    )
    reads = len(sim.request_log)

    await _later(hass, freezer, minutes=11)

    assert _messages(notes) == expected
    assert len(sim.request_log) == reads


async def test_reminder_leaves_out_charged_and_plugged_cars(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """A plugged-in car and a car above the level are not reminded about."""
    await _setup(hass, sim, VW, RAV4)
    notes = async_capture_events(hass, "smartcar_note")
    await _read(hass, sim, VW, soc=30.0)  # plugged in
    await _read(hass, sim, RAV4, soc=60.0, latitude=BERLIN[0], longitude=BERLIN[1])
    await _automations(
        hass,
        "plug_in_reminder",
        {
            "batteries": ["sensor.volkswagen_id_4_battery", "sensor.toyota_rav4_prime_battery"],
            "reminder_time": _clock_in(10),
            "notification": NOTE,
        },
    )

    await _later(hass, freezer, minutes=11)

    assert not notes


async def test_ready_by_starts_in_time(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Expensive all along: charging starts when the minimum would otherwise be missed.

    40 % to 60 % of 77 kWh at 7.4 kW take 2.1 hours, plus half an hour to spare.
    """
    await _setup(hass, sim, VW)
    await _read(hass, sim, VW, charging=False, soc=40.0)
    hass.states.async_set("sensor.price", "0.30")
    await _automations(
        hass,
        "charge_when_cheap_or_sunny",
        {
            "switches": ["switch.volkswagen_id_4_charging"],
            "price_sensor": "sensor.price",
            "ready_by": _clock_in(180),
            "ready_by_level": 60,
        },
    )

    await _later(hass, freezer, minutes=20)  # 2.7 hours left: not yet
    assert sim.vehicle(VW).charging is False
    await _later(hass, freezer, minutes=10)  # 2.5 hours left: start
    assert sim.vehicle(VW).charging is True
    assert hass.states.get("switch.volkswagen_id_4_charging").state == "on"


async def test_ready_by_without_the_battery_capacity(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Without a capacity, 10 % an hour: 20 % take two hours, plus half an hour."""
    await _setup(hass, sim, VW)
    await _read(hass, sim, VW, charging=False, soc=40.0)
    hass.states.async_set("sensor.volkswagen_id_4_battery_capacity", "unavailable")
    await _automations(
        hass,
        "charge_when_cheap_or_sunny",
        {
            "switches": ["switch.volkswagen_id_4_charging"],
            "ready_by": _clock_in(170),
            "ready_by_level": 60,
        },
    )

    await _later(hass, freezer, minutes=15)  # 2.6 hours left
    assert sim.vehicle(VW).charging is False
    await _later(hass, freezer, minutes=10)  # 2.4 hours left
    assert sim.vehicle(VW).charging is True


async def test_cheap_charging_away_unplugged_and_by_hand(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """Only cars at home and plugged in start; a person's stop holds until the next change."""
    await _setup(hass, sim, VW, RAV4)
    await _read(hass, sim, VW, charging=False, soc=50.0)
    await _read(hass, sim, RAV4, plugged_in=True)  # plugged in, but in Munich
    assert sim.vehicle(RAV4).charging is True
    hass.states.async_set("binary_sensor.sunny", "off")
    await _automations(
        hass,
        "charge_when_cheap_or_sunny",
        {
            "switches": ["switch.volkswagen_id_4_charging", "switch.toyota_rav4_prime_charging"],
            "good_condition": "binary_sensor.sunny",
            "ready_by_level": 0,
        },
    )
    # The periodic check stops the RAV4, which started on its own when plugged in.
    await _later(hass, freezer, minutes=5)
    assert sim.vehicle(RAV4).charging is False

    hass.states.async_set("binary_sensor.sunny", "on")
    await hass.async_block_till_done()
    assert sim.vehicle(VW).charging is True
    assert sim.vehicle(RAV4).charging is False  # not at home

    # Someone stops the ID.4 by hand in the sun: the periodic check leaves it stopped.
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": "switch.volkswagen_id_4_charging"},
        blocking=True,
        context=Context(user_id=hass_admin_user.id),
    )
    await _later(hass, freezer, minutes=5)
    assert sim.vehicle(VW).charging is False

    # The next sunny spell starts it again.
    hass.states.async_set("binary_sensor.sunny", "off")
    await _settle(hass)
    hass.states.async_set("binary_sensor.sunny", "on")
    await _settle(hass)
    assert sim.vehicle(VW).charging is True

    # Unplugged, it is not started.
    hass.states.async_set("binary_sensor.sunny", "off")
    await hass.async_block_till_done()
    await _read(hass, sim, VW, plugged_in=False)
    hass.states.async_set("binary_sensor.sunny", "on")
    await _later(hass, freezer, minutes=5)
    assert sim.vehicle(VW).charging is False


async def test_finished_and_interrupted_can_be_left_out(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Unplugging is not an interruption, and a full battery is not told when switched off."""
    await _setup(hass, sim, VW, RAV4)
    notes = async_capture_events(hass, "smartcar_note")
    await _read(hass, sim, RAV4, plugged_in=True)
    await _automations(
        hass,
        "charging_finished_or_interrupted",
        {
            "charging_states": ["sensor.volkswagen_id_4_charging_state"],
            "notify_finished": False,
            "notification": NOTE,
        },
        {
            "charging_states": ["sensor.toyota_rav4_prime_charging_state"],
            "notification": NOTE,
        },
    )

    # The ID.4 reaches its limit: nothing, as asked. The RAV4 is unplugged: nothing either.
    sim.set_vehicle_state(VW, soc=79.9)
    sim.advance(60)
    await _read(hass, sim, VW)
    assert hass.states.get("sensor.volkswagen_id_4_charging_state").state == "fully_charged"
    await _read(hass, sim, RAV4, plugged_in=False)
    await _later(hass, freezer, seconds=2)
    assert not notes

    # The RAV4, plugged in again, stops by itself below its limit.
    await _read(hass, sim, RAV4, plugged_in=True)
    await _read(hass, sim, RAV4, charging=False)
    await _later(hass, freezer, seconds=2)
    level = round(sim.vehicle(RAV4).soc)
    expected = (
        f"Charging of Toyota RAV4 Prime stopped at {level} %, below its limit of 100 %, "
        "while the cable is plugged in."
    )
    assert _messages(notes) == [expected]
