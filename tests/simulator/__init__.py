"""A local, wire-faithful Smartcar for tests, `scripts/develop` and browser tests.

There is no Smartcar account and no car in CI, so this package plays Smartcar: Connect's
consent page, the OAuth token endpoints, the Vehicles API v2 and v3, the management API and
outgoing webhooks, all on one origin and all written from `smartcar-api.md` (never from the
integration's client). The official `smartcar` SDK is its conformance client.

Use from tests::

    async with run_simulator() as running:        # 127.0.0.1, free port
        running.origin                            # "http://127.0.0.1:PORT"
        sim = running.simulator                   # the world: sim.vehicles, sim.clock, ...
        tokens = sim.connect_account()            # skip the consent page: v2 tokens
        sim.advance(3600)                         # one hour later (charging moves)
        sim.inject_fault(vehicle_id=..., path="/battery", error_type="VEHICLE_STATE",
                         error_code="ASLEEP")

or the `simulator` fixture in `tests.simulator.fixtures`. Standalone:
`python -m tests.simulator --port 8765` (see `--help`). Credentials and ids are in `const`.

Admin API (JSON, no authentication, never logged in the request log)::

    GET    /_simulator/                         clock, configuration, counts
    GET    /_simulator/config                   PATCH with any SimulatorConfig field, e.g.
                                                {"rate_bucket_capacity": null,
                                                 "vehicle_throttle_limit": 5,
                                                 "billing_limit": 10,
                                                 "refresh_grace_seconds": 60,
                                                 "webhook_retry_scale": 0.001}
    GET    /_simulator/vehicles                 every car with its state
    GET    /_simulator/vehicles/{id}            PATCH sets state, e.g. {"plugged_in": true,
                                                "soc": 40, "locked": false, "doors":
                                                {"frontLeft": "OPEN"}, "online": false}
    POST   /_simulator/vehicles/{id}/drive      {"distance_km": 12.5, "heading": 90}
    POST   /_simulator/vehicles/{id}/pair-key   {"paired": true}  (Tesla virtual key)
    GET    /_simulator/clock                    POST /_simulator/clock/advance {"seconds": 600}
    GET    /_simulator/faults                   POST adds one, DELETE clears all,
                                                DELETE /_simulator/faults/{id} clears one
    POST   /_simulator/tokens                   {"email"?, "vehicle_ids"?, "permissions"?,
                                                 "mode"?} → fresh v2 tokens (no consent page)
    POST   /_simulator/tokens/revoke            {"user_id"?, "vehicle_id"?, "token"?,
                                                 "kind": "all|access|refresh|app"}
    GET    /_simulator/requests[?path=&limit=]  request log (credentials masked); DELETE clears
    GET    /_simulator/billing                  PUT {"vehicle_id", "count"}; DELETE resets
    POST   /_simulator/commands/slow            {"seconds": 30, "vehicle_id"?, "command"?}:
                                                v3 commands answer 202 and finish later
    POST   /_simulator/connect/next-error       {"error": "server_error", ...}: the next
                                                approval redirects with this Connect error
    GET    /_simulator/connections
    GET    /_simulator/webhooks                 PUT /_simulator/webhooks/{id} {"url",
                                                "error_url"?, "signals"?, "triggers"?} sends
                                                VERIFY when the URL changes
    POST   /_simulator/webhooks/{id}/verify
    POST   /_simulator/webhooks/{id}/subscriptions   {"vehicle_id"}; DELETE unsubscribes
    POST   /_simulator/webhooks/{id}/events     {"event_type": "VEHICLE_STATE", "vehicle_id",
                                                 "triggers"?} or {"event_type":
                                                 "VEHICLE_ERROR", "vehicle_id", "state",
                                                 "errors": [{"type", "code", "signals"}]}
    GET    /_simulator/webhooks/deliveries      every delivery attempt
    POST   /_simulator/reset                    rebuild the world from the seed
    POST   /_simulator/save                     write the state file

A fault (POST /_simulator/faults) takes: `vehicle_id`, `path` (vehicle-relative: `/battery`,
`/charge/limit`, `/batch`, `/signals`, `/signals/{code}`, `/commands/charge/start`; trailing
`*` for a prefix), `method`, `api` (`v2`/`v3`), `signal` (a v3 signal code that reports status
ERROR in lists, single reads and webhooks), `type` + `code` (any catalogue error),
`retry_after`, `resolution_url`, `latency` (seconds), `drop` (close the connection),
`raw_status` + `raw_body` + `raw_content_type` (a non-JSON answer), `legacy_v1` (v1 error
body), `command_status` (v3 command answers 200 with status FAILED), `times` (default 1;
null keeps the fault), and `webhook: true` to also send VEHICLE_ERROR (ERROR on add, RESOLVED
on removal) to subscribed webhooks. See README.md in this directory for the wire choices.
"""

from __future__ import annotations

from . import const
from .clock import SimClock
from .errors import CATALOGUE, SimError
from .signals import SIGNALS, SIGNALS_BY_CODE
from .simulator import (
    COMMANDS,
    Execution,
    RunningSimulator,
    Simulator,
    SimulatorConfig,
    TokenSet,
    run_simulator,
)
from .vehicles import Powertrain, SimVehicle
from .webhooks import Delivery, Webhook, challenge_answer, sign
from .world import Fault, LoggedRequest

__all__ = [
    "CATALOGUE",
    "COMMANDS",
    "SIGNALS",
    "SIGNALS_BY_CODE",
    "Delivery",
    "Execution",
    "Fault",
    "LoggedRequest",
    "Powertrain",
    "RunningSimulator",
    "SimClock",
    "SimError",
    "SimVehicle",
    "Simulator",
    "SimulatorConfig",
    "TokenSet",
    "Webhook",
    "challenge_answer",
    "const",
    "run_simulator",
    "sign",
]
