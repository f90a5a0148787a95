"""Account pages: what a locked-out login is shown (django-axes' AXES_LOCKOUT_CALLABLE), one's own account
(password, sessions, API tokens), setting a password with a one-time code, and the accounts officers and
administrators manage. Thin: forms parse, selectors read, services write."""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.signals import user_login_failed
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from inminban.api.tokens import token_expires_at
from inminban.areas.access import MANAGE_AREAS, require_any
from inminban.areas.models import Role
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.web.decorators import page
from inminban.web.forms import apply_service
from inminban.web.templatetags.inminban_web import local_name

from . import forms, selectors, services

ACCOUNTS_PAGE_SIZE = 25
CODE_SESSION_KEY = "_inminban_account_code"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def locked_out(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def role_text(assignment) -> str:
    """A role in words: "Unit leader · Songhu-dong unit 1 · 김철수"."""
    parts = [forms.ROLE_NAMES.get(assignment.role, assignment.role)]
    if assignment.role == Role.OFFICER and assignment.office_id:
        parts.append(local_name(assignment.office))
    elif assignment.role != Role.RESIDENT:
        parts.append(local_name(assignment.area))
    if assignment.person_id:
        parts.append(assignment.person.full_name)
        if assignment.role == Role.RESIDENT:
            parts.append(local_name(assignment.area))
    return " · ".join(str(part) for part in parts)


BROWSERS = [
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS", "macOS"),
    ("Linux", "Linux"),
]


def device_label(user_agent: str) -> str:
    """ "Chrome on Android" from a browser's User-Agent, or "" when it names neither (a script, a test client)."""
    browser = next((name for key, name in BROWSERS if key in user_agent), "")
    system = next((name for key, name in SYSTEMS if key in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system


# One's own account -----------------------------------------------------------------------------------------------


@page
@never_cache
def account_mine(request):
    actor = request.user
    sessions = list(selectors.sessions_active(actor=actor))
    for session in sessions:
        session.device = device_label(session.user_agent) or session.user_agent[:60]
    tokens = list(selectors.tokens_of(actor=actor))
    now = timezone.now()
    for token in tokens:
        token.expires_at = token_expires_at(token)
        token.is_live = token.revoked_at is None and token.expires_at > now
    context = {
        "roles": [role_text(a) for a in selectors.active_role_assignments(actor).select_related("person", "area")],
        "sessions": sessions,
        "current_session": request.session.session_key,
        "tokens": tokens,
    }
    return render(request, "accounts/mine.html", context)


@page
@never_cache
def password_change(request):
    actor = request.user
    form = forms.PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and apply_service(
            form,
            lambda: services.password_change(
                actor=actor,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                new_password_again=form.cleaned_data["new_password_again"],
                keep_session=request.session.session_key,
            ),
        ):
            update_session_auth_hash(request, actor)
            messages.success(request, _("Your password was changed. Your other sessions have ended."))
            return redirect("accounts:mine")
        status = 400
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


@page
@require_POST
def session_end(request, pk):
    session = selectors.sessions_active(actor=request.user).filter(pk=pk).first()
    if session is None:
        raise NotVisible(f"session {pk} not found")
    current = session.session_key == request.session.session_key
    services.session_end(actor=request.user, session=session)
    if current:
        return redirect(settings.LOGIN_URL)
    messages.success(request, _("The session was ended."))
    return redirect("accounts:mine")


@page
@require_POST
def token_revoke(request, pk):
    token = selectors.tokens_of(actor=request.user).filter(pk=pk).first()
    if token is None:
        raise NotVisible(f"token {pk} not found")
    try:
        services.account_token_revoke(actor=request.user, token=token)
    except DomainError:
        messages.error(request, _("This token was already revoked."))
    else:
        messages.success(request, _("The token was revoked: it no longer works."))
    return redirect("accounts:mine")


@never_cache
def password_with_code(request):
    """Anyone with a one-time code sets their password here, and is logged in. A wrong code counts as a failed login
    for that user name (django-axes), so codes cannot be guessed faster than passwords."""
    form = forms.PasswordCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        credentials = {"username": username}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return locked_out(request)
        user = None

        def call():
            nonlocal user
            user = services.password_set_with_code(
                username=form.cleaned_data["username"],
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password"],
                new_password_again=form.cleaned_data["new_password_again"],
            )

        if form.is_valid() and apply_service(form, call):
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, _("Your password is set. You are logged in."))
            return redirect("web:home")
        if "code" in form.errors:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        status = 400
    return render(request, "accounts/password_with_code.html", {"form": form}, status=status)


# Accounts officers and administrators manage ---------------------------------------------------------------------


@page
def account_list(request):
    require_any(request.user, MANAGE_AREAS)
    search = forms.AccountSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    accounts = selectors.accounts_visible(actor=request.user, search=query)
    page_obj = Paginator(accounts, ACCOUNTS_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = []
    for user in page_obj.object_list:
        current = [a for a in user.assignments if a.since <= today and (a.until is None or a.until > today)]
        rows.append({"user": user, "roles": [role_text(a) for a in current]})
    context = {"search": search, "page_obj": page_obj, "rows": rows, "query": query}
    return render(request, "accounts/list.html", context)


def _show_code_next(request, user, code: str, *, created: bool) -> None:
    request.session[CODE_SESSION_KEY] = {"user": user.pk, "code": code, "created": created}


@page
def account_new(request):
    actor = request.user
    require_any(actor, MANAGE_AREAS)
    form = forms.AccountCreateForm(request.POST or None, actor=actor)
    status = 200
    if request.method == "POST":
        created = {}

        def call():
            created["user"], created["code"] = services.account_create(
                actor=actor,
                username=form.cleaned_data["username"],
                name=form.cleaned_data["full_name"],
                **form.role_arguments(),
            )

        if form.is_valid() and apply_service(form, call, fields={"name": "full_name"}):
            _show_code_next(request, created["user"], created["code"], created=True)
            return redirect("accounts:code", pk=created["user"].pk)
        status = 400
    return render(request, "accounts/new.html", {"form": form}, status=status)


@page
@never_cache
def account_code(request, pk):
    """The one-time code, shown once: it is taken out of the session as the page is made."""
    user = selectors.account_detail(actor=request.user, pk=pk)
    shown = request.session.get(CODE_SESSION_KEY)
    code = None
    if shown and shown.get("user") == user.pk:
        code = shown["code"]
        del request.session[CODE_SESSION_KEY]
    context = {
        "account": user,
        "code": code,
        "created": bool(shown and shown.get("created")),
        "expires_at": getattr(selectors.password_code_open(user=user), "expires_at", None),
        "code_url": request.build_absolute_uri(reverse("accounts:password-with-code")),
    }
    return render(request, "accounts/code.html", context)


@page
def account_page(request, pk):
    actor = request.user
    require_any(actor, MANAGE_AREAS)
    user = selectors.account_detail(actor=actor, pk=pk)
    manageable = selectors.account_manageable(actor=actor, user=user)
    current = list(selectors.active_role_assignments(user).select_related("person", "area"))
    labels = {a.pk: role_text(a) for a in current}
    page_forms = {
        "assign": forms.RoleAssignForm(actor=actor),
        "link": forms.PersonLinkForm(actor=actor),
        "end": forms.RoleEndForm(assignments=current, labels=labels),
        "reset": forms.PasswordResetForm(),
    }
    status = 200
    if request.method == "POST":
        if not manageable:
            raise NotPermitted("the account holds roles outside your area")
        name = request.POST.get("form")
        if name == "assign":
            form = forms.RoleAssignForm(request.POST, actor=actor)
            if form.is_valid() and apply_service(
                form, lambda: services.account_role_assign(actor=actor, user=user, **form.role_arguments())
            ):
                messages.success(request, _("The role was given."))
                return redirect("accounts:page", pk=user.pk)
        elif name == "link":
            form = forms.PersonLinkForm(request.POST, actor=actor)
            if form.is_valid() and apply_service(
                form,
                lambda: services.account_role_assign(
                    actor=actor,
                    user=user,
                    role=Role.RESIDENT,
                    person=form.cleaned_data["person"],
                    since=form.cleaned_data["since"],
                ),
            ):
                messages.success(request, _("The account is linked to the person."))
                return redirect("accounts:page", pk=user.pk)
        elif name == "end":
            form = forms.RoleEndForm(request.POST, assignments=current, labels=labels)
            if form.is_valid():
                assignment = next(a for a in current if a.pk == form.cleaned_data["assignment"])
                if apply_service(
                    form,
                    lambda: services.account_role_end(
                        actor=actor, user=user, assignment=assignment, until=form.cleaned_data["until"]
                    ),
                    fields={"role": "assignment"},
                ):
                    messages.success(request, _("The role was ended."))
                    return redirect("accounts:page", pk=user.pk)
        elif name == "reset":
            form = forms.PasswordResetForm(request.POST)
            code = {}

            def call():
                code["code"] = services.account_password_reset(actor=actor, user=user)

            if form.is_valid() and apply_service(form, call):
                _show_code_next(request, user, code["code"], created=False)
                return redirect("accounts:code", pk=user.pk)
        else:
            return HttpResponseBadRequest(_("Unknown form."))
        page_forms[name], status = form, 400
    history = list(user.assignments)
    today = timezone.localdate()
    context = {
        "account": user,
        "manageable": manageable,
        "current": [(a, labels[a.pk]) for a in current],
        "ended": [(a, role_text(a)) for a in history if a.until is not None and a.until <= today],
        "forms": page_forms,
        "is_self": user.pk == actor.pk,
        "sessions": selectors.sessions_active(actor=user).count(),
    }
    return render(request, "accounts/account.html", context, status=status)
