"""Smartcar Connect: the consent page at `/oauth/authorize` and the re-authentication page.

A browser (or a headless test posting the same form) signs in with a simulated account, picks
cars and approves; the page then redirects to the app's `redirect_uri` with a code, or with one
of Connect's documented errors, exactly as the real Connect does (§2.1 to 2.2 of the reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Final

from aiohttp import web
from yarl import URL

from . import const
from .httputil import read_form
from .simulator import simulator_of

if TYPE_CHECKING:
    from .simulator import Simulator
    from .vehicles import SimVehicle
    from .world import Account

_COOKIE: Final = "sc_sim_account"

_ERROR_DESCRIPTIONS: Final[dict[str, str]] = {
    "access_denied": "User denied access to application.",
    "invalid_subscription": "User does not have an active connected services subscription.",
    "no_vehicles": "No vehicles found in the user's connected services account.",
    "vehicle_incompatible": "The user's vehicle is not compatible with the requested permissions.",
    "configuration_error": "The user left Connect from an error page.",
    "oem_cancelled_login": "The user cancelled the login with their vehicle manufacturer.",
    "user_manually_returned_to_application": "The user returned to the application.",
    "battery_capacity_no_selection": "The user did not select a battery capacity.",
    "server_error": "Unexpected server error. Please try again later.",
}


def found(location: str) -> web.Response:
    """A 302 redirect response."""
    return web.Response(status=302, headers={"Location": location})


class ConnectPageError(Exception):
    """A Connect request the page refuses to serve (shown as an HTML error page)."""

    def __init__(self, message: str, *, back: str | None = None, status: int = 400) -> None:
        """Describe the problem; `back` is a link back to the app (configuration_error)."""
        self.message = message
        self.back = back
        self.status = status
        super().__init__(message)


@dataclass(kw_only=True)
class ConnectRequest:
    """The parsed query of one Connect flow."""

    redirect_uri: str
    mode: str
    permissions: list[str]
    required: set[str] = field(default_factory=set)
    approval_prompt: str = "auto"
    state: str | None = None
    make: str | None = None
    single_select: bool = False
    single_select_vin: str | None = None
    user: str | None = None
    flags: str | None = None

    def redirect(self, **params: str | int | None) -> web.Response:
        """Redirect to the app with `params` (and `state`) added to `redirect_uri`."""
        query = {key: str(value) for key, value in params.items() if value is not None}
        if self.state is not None:
            query["state"] = self.state
        return found(str(URL(self.redirect_uri).update_query(query)))

    def error(self, error: str, **extra: str | int | None) -> web.Response:
        """Redirect with a Connect error."""
        return self.redirect(
            error=error, error_description=_ERROR_DESCRIPTIONS.get(error, error), **extra
        )


def _redirect_ok(sim: Simulator, redirect_uri: str) -> bool:
    allowed = sim.config.allowed_redirect_uris
    if allowed is not None:
        return redirect_uri in allowed
    url = URL(redirect_uri)
    if url.scheme in ("http", "https"):
        return bool(url.host)
    return url.scheme == f"sc{const.APPLICATION_ID}".lower()


def parse_request(sim: Simulator, query: dict[str, str]) -> ConnectRequest:
    """Validate a Connect query; raise `ConnectPageError` for what Connect would refuse."""
    if query.get("client_id") != const.APPLICATION_ID:
        raise ConnectPageError("Unknown application: check the client_id.")
    redirect_uri = query.get("redirect_uri") or sim.config.default_redirect_uri
    if not redirect_uri:
        raise ConnectPageError("Missing redirect_uri and no default redirect URI is configured.")
    if not _redirect_ok(sim, redirect_uri):
        raise ConnectPageError("This redirect_uri is not registered for the application.")

    def config_error(message: str) -> ConnectPageError:
        back = URL(redirect_uri).update_query(
            {
                "error": "configuration_error",
                "error_description": _ERROR_DESCRIPTIONS["configuration_error"],
                "status_code": "400",
                "error_message": message,
                **({"state": query["state"]} if "state" in query else {}),
            }
        )
        return ConnectPageError(message, back=str(back))

    if query.get("response_type") != "code":
        raise config_error("response_type must be code.")
    mode = (query.get("mode") or "live").lower()
    if mode not in ("live", "simulated", "test"):
        raise config_error("mode must be live or simulated.")
    approval_prompt = query.get("approval_prompt") or "auto"
    if approval_prompt not in ("auto", "force"):
        raise config_error("approval_prompt must be auto or force.")
    single_select = (query.get("single_select") or "false").lower()
    if single_select not in ("true", "false"):
        raise config_error("single_select must be true or false.")
    permissions: list[str] = []
    required: set[str] = set()
    for item in (query.get("scope") or "").split():
        name = item.removeprefix("required:")
        if name not in const.PERMISSION_LABELS:
            raise config_error(f"Unknown permission {name}.")
        if name not in permissions:
            permissions.append(name)
        if item.startswith("required:"):
            required.add(name)
    if not permissions:
        permissions = list(const.DEFAULT_SCOPES)
    return ConnectRequest(
        redirect_uri=redirect_uri,
        mode=mode,
        permissions=permissions,
        required=required,
        approval_prompt=approval_prompt,
        state=query.get("state"),
        make=(query.get("make") or None),
        single_select=single_select == "true" or bool(query.get("single_select_vin")),
        single_select_vin=query.get("single_select_vin") or None,
        user=query.get("user"),
        flags=query.get("flags"),
    )


def _visible_vehicles(sim: Simulator, account: Account, flow: ConnectRequest) -> list[SimVehicle]:
    vehicles = [sim.vehicles[vid] for vid in account.vehicle_ids]
    if flow.make:
        vehicles = [v for v in vehicles if v.make.upper() == flow.make.upper()]
    if flow.single_select_vin:
        vehicles = [v for v in vehicles if v.vin == flow.single_select_vin]
    return vehicles


def _compatible(vehicle: SimVehicle, flow: ConnectRequest) -> bool:
    return all(vehicle.capable_of_permission(permission) for permission in flow.required)


# --------------------------------------------------------------------- handlers


async def authorize(request: web.Request) -> web.StreamResponse:
    """Serve the consent page (GET) and its form (POST)."""
    sim = simulator_of(request)
    try:
        flow = parse_request(sim, dict(request.query))
    except ConnectPageError as err:
        return _error_page(err)
    if request.method == "GET":
        remembered = request.cookies.get(_COOKIE)
        if remembered and flow.approval_prompt == "auto":
            automatic = _auto_approve(sim, flow, remembered)
            if automatic is not None:
                return automatic
        account = sim.account(remembered or const.DEMO_USER_EMAIL) or sim.account(
            const.DEMO_USER_EMAIL
        )
        return _page(request, sim, flow, account, account.email if account else "")

    form = await read_form(request)
    action = (form.get("action") or [""])[-1]
    email = ((form.get("email") or [""])[-1] or const.DEMO_USER_EMAIL).strip()
    if action == "deny":
        return flow.error("access_denied")
    account = sim.account(email)
    if action == "login" or account is None:
        message = None if account is not None else f"No simulated account for {email}."
        return _page(request, sim, flow, account, email, message=message)
    if action != "approve":
        return _page(request, sim, flow, account, email, message="Choose Approve or Deny.")
    return _approve(request, sim, flow, account, form.get("vehicle_id") or [])


def _approve(
    request: web.Request,
    sim: Simulator,
    flow: ConnectRequest,
    account: Account,
    selected_ids: list[str],
) -> web.StreamResponse:
    if sim.next_connect_error is not None:
        injected = dict(sim.next_connect_error)
        sim.next_connect_error = None
        error = injected.pop("error")
        return flow.error(error, **injected)
    if account.connect_error == "vehicle_incompatible" and account.vehicle_ids:
        vehicle = sim.vehicles[account.vehicle_ids[0]]
        return flow.error(
            "vehicle_incompatible",
            vin=vehicle.vin,
            make=vehicle.make,
            model=vehicle.model,
            year=vehicle.year,
        )
    if account.connect_error is not None:
        return flow.error(account.connect_error)
    visible = _visible_vehicles(sim, account, flow)
    if not visible:
        return flow.error("no_vehicles")
    by_id = {vehicle.id: vehicle for vehicle in visible}
    if not selected_ids:
        compatible = [vehicle for vehicle in visible if _compatible(vehicle, flow)]
        chosen = compatible[:1] if flow.single_select else compatible
        if not chosen:
            vehicle = visible[0]
            return flow.error(
                "vehicle_incompatible",
                vin=vehicle.vin,
                make=vehicle.make,
                model=vehicle.model,
                year=vehicle.year,
            )
    else:
        unknown = [vid for vid in selected_ids if vid not in by_id]
        if unknown:
            return _page(
                request,
                sim,
                flow,
                account,
                account.email,
                message="Select vehicles of this account.",
            )
        if flow.single_select and len(set(selected_ids)) > 1:
            return _page(
                request, sim, flow, account, account.email, message="Select only one vehicle."
            )
        chosen = [by_id[vid] for vid in dict.fromkeys(selected_ids)]
        for vehicle in chosen:
            if not _compatible(vehicle, flow):
                return flow.error(
                    "vehicle_incompatible",
                    vin=vehicle.vin,
                    make=vehicle.make,
                    model=vehicle.model,
                    year=vehicle.year,
                )
    code = sim.approve(
        account,
        [vehicle.id for vehicle in chosen],
        flow.permissions,
        mode=flow.mode,
        redirect_uri=flow.redirect_uri,
    )
    response = flow.redirect(code=code.code, user_id=account.user_id)
    response.set_cookie(_COOKIE, account.email, httponly=True, samesite="Lax", path="/oauth")
    return response


def _auto_approve(sim: Simulator, flow: ConnectRequest, email: str) -> web.StreamResponse | None:
    account = sim.account(email)
    if account is None or account.connect_error is not None:
        return None
    granted: set[str] = set()
    for grant in sim.tokens.grants.values():
        if grant.user_id == account.user_id and not grant.revoked:
            granted.update(grant.permissions)
    if not granted or not set(flow.permissions) <= granted:
        return None
    visible = {vehicle.id for vehicle in _visible_vehicles(sim, account, flow)}
    connected = [
        c.vehicle_id
        for c in sim.connections.values()
        if c.user_id == account.user_id and c.vehicle_id in visible
    ]
    if not connected:
        return None
    if flow.single_select:
        connected = connected[:1]
    code = sim.approve(
        account, connected, flow.permissions, mode=flow.mode, redirect_uri=flow.redirect_uri
    )
    return flow.redirect(code=code.code, user_id=account.user_id)


# --------------------------------------------------------------------- re-authentication


async def reauthenticate(request: web.Request) -> web.StreamResponse:
    """Serve `/oauth/reauthenticate`: confirm the car's account and go back with `vehicle_id`."""
    sim = simulator_of(request)
    query = request.query
    vehicle_id = query.get("vehicle_id", "")
    redirect_uri = query.get("redirect_uri") or sim.config.default_redirect_uri
    if (
        query.get("response_type") != "vehicle_id"
        or query.get("client_id") != const.APPLICATION_ID
        or vehicle_id not in sim.vehicles
        or not redirect_uri
        or not _redirect_ok(sim, redirect_uri)
    ):
        return _error_page(ConnectPageError("Invalid re-authentication request."))
    state = {"state": query["state"]} if "state" in query else {}
    if request.method == "POST":
        form = await read_form(request)
        action = (form.get("action") or [""])[-1]
        if action == "approve":
            sim.faults.clear_resolvable(vehicle_id)
            return found(str(URL(redirect_uri).update_query({"vehicle_id": vehicle_id, **state})))
        return found(
            str(
                URL(redirect_uri).update_query(
                    {
                        "error": "access_denied",
                        "error_description": _ERROR_DESCRIPTIONS["access_denied"],
                        **state,
                    }
                )
            )
        )
    vehicle = sim.vehicles[vehicle_id]
    body = f"""
<h1>Reconnect your {escape(vehicle.make.title())} account</h1>
<p>{escape(sim.app_name())} lost access to your {vehicle.year} {escape(vehicle.make)}
{escape(vehicle.model)}. Sign in again to restore it.</p>
<form method="post" action="{escape(request.path_qs)}">
  <button type="submit" name="action" value="approve">Approve</button>
  <button type="submit" name="action" value="deny" class="secondary">Deny</button>
</form>"""
    return _html(body, title="Reconnect")


# --------------------------------------------------------------------- HTML


_STYLE: Final = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f6f8;margin:0}
main{max-width:480px;margin:40px auto;background:#fff;border-radius:12px;padding:28px 32px;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.35rem;margin:0 0 .5rem}
.banner{background:#fff4ce;border-radius:6px;padding:6px 10px;font-size:.85rem;margin-bottom:1rem}
ul.permissions{padding-left:1.1rem} .required{color:#b00020;font-size:.8rem}
fieldset{border:1px solid #dde1e6;border-radius:8px;margin:1rem 0;padding:.75rem 1rem}
label.vehicle{display:block;padding:.3rem 0} .disabled{color:#8a9099}
.message{background:#fdecea;border-radius:6px;padding:6px 10px;margin:1rem 0}
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:6px;border:0;background:#0b5fff;
color:#fff;cursor:pointer;margin-right:.5rem}
button.secondary{background:#e6e9ee;color:#1b1f24}
input[type=email]{width:70%;padding:.4rem;font-size:1rem}
"""


def _html(body: str, *, title: str, status: int = 200) -> web.Response:
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Smartcar Connect (simulated)</title>"
        f"<style>{_STYLE}</style></head><body><main>{body}</main></body></html>"
    )
    return web.Response(text=page, content_type="text/html", status=status)


def _error_page(err: ConnectPageError) -> web.Response:
    back = (
        f'<p><a href="{escape(err.back)}">Return to the application</a></p>'
        if err.back is not None
        else ""
    )
    body = f'<h1>Something went wrong</h1><p class="message">{escape(err.message)}</p>{back}'
    return _html(body, title="Error", status=err.status)


def _page(
    request: web.Request,
    sim: Simulator,
    flow: ConnectRequest,
    account: Account | None,
    email: str,
    *,
    message: str | None = None,
) -> web.Response:
    app_name = escape(sim.app_name())
    banner = (
        f'<div class="banner">{escape(flow.mode.title())} mode: simulated vehicles</div>'
        if flow.mode != "live"
        else ""
    )
    permissions = "".join(
        f"<li>{escape(const.PERMISSION_LABELS[name])}"
        + (' <span class="required">(required)</span>' if name in flow.required else "")
        + f" <code hidden>{escape(name)}</code></li>"
        for name in flow.permissions
    )
    vehicles_html = ""
    if account is not None:
        visible = _visible_vehicles(sim, account, flow)
        kind = "radio" if flow.single_select else "checkbox"
        rows = []
        first = True
        for vehicle in visible:
            compatible = _compatible(vehicle, flow)
            checked = compatible and (first or not flow.single_select)
            if checked:
                first = False
            attributes = " checked" if checked else ""
            attributes += "" if compatible else " disabled"
            note = "" if compatible else " — not compatible with the required permissions"
            rows.append(
                f'<label class="vehicle{"" if compatible else " disabled"}">'
                f'<input type="{kind}" name="vehicle_id" value="{escape(vehicle.id)}"{attributes}> '
                f"{vehicle.year} {escape(vehicle.make)} {escape(vehicle.model)}{note}</label>"
            )
        if not rows:
            rows.append("<p>No vehicles found in this account.</p>")
        vehicles_html = f"<fieldset><legend>Vehicles of {escape(account.email)}</legend>{''.join(rows)}</fieldset>"
    accounts = "".join(
        f'<option value="{escape(known)}">' for known in sorted(sim.accounts) if "@" in known
    )
    notice = f'<p class="message">{escape(message)}</p>' if message else ""
    make = f"<p>Brand: {escape(flow.make.upper())}</p>" if flow.make else ""
    body = f"""
{banner}
<h1>{app_name} wants access to your vehicle</h1>
{make}
<p>{app_name} is requesting permission to:</p>
<ul class="permissions">{permissions}</ul>
{notice}
<form method="post" action="{escape(request.path_qs)}">
  <p><label>Account email
    <input type="email" name="email" value="{escape(email)}" list="accounts" required></label>
    <button type="submit" name="action" value="login" class="secondary" formnovalidate>Show vehicles</button>
  </p>
  <datalist id="accounts">{accounts}</datalist>
  {vehicles_html}
  <button type="submit" name="action" value="approve">Approve</button>
  <button type="submit" name="action" value="deny" class="secondary" formnovalidate>Deny</button>
</form>"""
    status = 400 if message and account is None else 200
    return _html(body, title=f"{sim.app_name()} wants access", status=status)


def register(app: web.Application) -> None:
    """Add the Connect routes."""
    app.router.add_route("GET", "/oauth/authorize", authorize)
    app.router.add_route("POST", "/oauth/authorize", authorize)
    app.router.add_route("GET", "/oauth/reauthenticate", reauthenticate)
    app.router.add_route("POST", "/oauth/reauthenticate", reauthenticate)
