"""HTML for the sign-in, consent and error pages (stable ids for Playwright).

Ids: ``#username``, ``#password``, ``#signin`` on the sign-in form; ``#accept``,
``#cancel`` (and ``#consent-org`` for admins) on the consent screen; ``#error`` with
``data-code`` holding the AADSTS code on any page showing an error; ``.permission`` items
with ``data-value`` list the permissions requested.
"""

from __future__ import annotations

from html import escape

_CSS = """
body{margin:0;font-family:"Segoe UI",Helvetica,Arial,sans-serif;background:#f2f2f2;color:#1b1b1b}
.card{max-width:440px;margin:8vh auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
.brand{font-weight:600;color:#5e5e5e;margin-bottom:16px;letter-spacing:.02em}
h1{font-size:24px;font-weight:600;margin:0 0 16px}
input[type=text],input[type=email],input[type=password]{width:100%;box-sizing:border-box;border:0;
 border-bottom:1px solid #666;padding:8px 0;font-size:15px;margin-bottom:16px;outline:none}
input:focus{border-bottom-color:#0067b8}
.buttons{display:flex;justify-content:flex-end;gap:8px;margin-top:20px}
button{min-width:108px;padding:6px 12px;font-size:15px;border:1px solid transparent;cursor:pointer}
.primary{background:#0067b8;color:#fff}.secondary{background:#ccc;color:#000}
#error{color:#e81123;margin-bottom:12px;font-size:14px;white-space:pre-wrap}
ul.perms{padding-left:18px}.permission{margin:6px 0}.muted{color:#666;font-size:13px}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><div class=\"card\"><div class=\"brand\">Microsoft (emulated)</div>{body}</div></body></html>"
    )


def _error_div(error: str | None, code: int | None) -> str:
    if not error:
        return ""
    data = f' data-code="AADSTS{code}"' if code else ""
    return f'<div id="error" role="alert"{data}>{escape(error)}</div>'


# Public names for the other Entra page modules (device code).
page = _page
error_div = _error_div


def signin_page(action: str, flow_id: str, app_name: str, *, username: str = "", error: str | None = None,
                code: int | None = None, heading: str = "Sign in") -> str:
    body = (
        f"<h1>{escape(heading)}</h1>"
        f'<p class="muted">to continue to {escape(app_name)}</p>'
        f"{_error_div(error, code)}"
        f'<form method="post" action="{escape(action)}" id="signin-form">'
        f'<input type="hidden" name="flow" value="{escape(flow_id)}">'
        '<input type="hidden" name="step" value="signin">'
        f'<input type="email" id="username" name="username" placeholder="Email, phone, or Skype" '
        f'autocomplete="username" value="{escape(username)}" required>'
        '<input type="password" id="password" name="password" placeholder="Password" '
        'autocomplete="current-password" required>'
        '<div class="buttons"><button type="submit" id="signin" class="primary">Sign in</button></div>'
        "</form>"
    )
    return _page("Sign in to your account", body)


def consent_page(action: str, flow_id: str, app_name: str, publisher: str, user_upn: str,
                 permissions: list[tuple[str, str]], *, org_option: bool, for_org: bool = False,
                 need_admin: bool = False) -> str:
    items = "".join(
        f'<li class="permission" data-value="{escape(v)}">{escape(d)} <span class="muted">({escape(v)})</span></li>'
        for v, d in permissions
    )
    if need_admin:
        body = (
            "<h1>Need admin approval</h1>"
            f'<p>{escape(app_name)} needs permission to access resources in your organization that only an '
            "admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>"
            f'<ul class="perms">{items}</ul>'
            f'<form method="post" action="{escape(action)}"><input type="hidden" name="flow" value="{escape(flow_id)}">'
            '<input type="hidden" name="step" value="consent">'
            '<div class="buttons"><button type="submit" id="cancel" name="action" value="cancel" class="secondary">'
            "Return to the application without granting consent</button></div></form>"
        )
        return _page("Need admin approval", body)
    org = ""
    if org_option:
        checked = " checked" if for_org else ""
        org = (
            '<p><label><input type="checkbox" id="consent-org" name="consent_org" value="true"'
            f"{checked}> Consent on behalf of your organization</label></p>"
        )
    heading = "Permissions requested" + (" — Accept for your organization" if for_org else "")
    body = (
        f"<h1>{escape(heading)}</h1>"
        f'<p class="muted">{escape(user_upn)}</p>'
        f"<p><strong>{escape(app_name)}</strong><br><span class=\"muted\">{escape(publisher)}</span></p>"
        f"<p>This app would like to:</p><ul class=\"perms\" id=\"permissions\">{items}</ul>"
        f'<form method="post" action="{escape(action)}"><input type="hidden" name="flow" value="{escape(flow_id)}">'
        '<input type="hidden" name="step" value="consent">'
        f"{org}"
        '<p class="muted">Accepting these permissions means that you allow this app to use your data as '
        "specified in their terms of service and privacy statement.</p>"
        '<div class="buttons">'
        '<button type="submit" id="cancel" name="action" value="cancel" class="secondary">Cancel</button>'
        '<button type="submit" id="accept" name="action" value="accept" class="primary">Accept</button>'
        "</div></form>"
    )
    return _page("Permissions requested", body)


def error_page(code: int, message: str) -> str:
    body = (
        "<h1>Sorry, but we’re having trouble signing you in.</h1>"
        f'<div id="error" role="alert" data-code="AADSTS{code}">AADSTS{code}: {escape(message)}</div>'
    )
    return _page("Sign in to your account", body)


def form_post_page(redirect_uri: str, params: dict[str, str]) -> str:
    fields = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items())
    return (
        "<!DOCTYPE html><html><head><title>Working...</title></head>"
        '<body onload="document.forms[0].submit()">'
        f'<form method="POST" name="hiddenform" action="{escape(redirect_uri)}">{fields}'
        "<noscript><p>Script is disabled. Click Submit to continue.</p><input type=\"submit\" value=\"Submit\"></noscript>"
        "</form></body></html>"
    )
