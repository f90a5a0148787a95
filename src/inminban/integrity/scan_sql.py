"""The integrity scan's statements: for each pattern, one `INSERT INTO integrity_flag … SELECT … ON CONFLICT (pattern,
key) DO NOTHING`, in plain SQL that runs on SQLite and PostgreSQL.

Each pattern's candidates are one SELECT giving, per flag, its key, unit, leader (or the day whose sitting leader it
concerns), day, evidence and facts (JSON text built in SQL: record ids and numbers only). One wrapper around it skips
keys already raised, finds the office governing the unit (the unit's own office or the nearest above, by the parent
chain: a few index look-ups per new flag) and inserts. The rules (on/off, thresholds) per office come in as CASE
expressions over the unit's path prefixes (the office tree is small); with no office rule they are plain parameters.
Nothing is evaluated per record in Python.

A scan looks back over a window (`Context.since`; None: all history): each pattern reads only its driving records made
or dated inside it (health checks, attendance, stamps, the cycles and their member-adding entries), so a repeat scan
costs what the window holds, not what the years hold. Where a flag sums several records (a session's attendance), the
window picks the flag, and its records are all read, so that it is raised as a scan of all history would raise it.
The rate over a fixed period (waiver_rate) keeps its period."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from inminban.areas.models import Area, Office, RoleAssignment
from inminban.audit.models import AuditEntry
from inminban.common.sql import Sql
from inminban.common.sql import table as _t
from inminban.duties.models import (
    AllocationRule,
    Attendance,
    Campaign,
    Delivery,
    DutyExemption,
    Quota,
    Session,
    Share,
    Waiver,
)
from inminban.entitlements.models import Cycle, Program
from inminban.health.models import HealthCheck
from inminban.registry.models import Household, Membership, Person, Stay
from inminban.stamps.models import Stamp

from .models import Flag, Pattern
from .rules import BULK_SECONDS, Tiers

# The stamps a leader confirms for a duty (not vouchers or clearances, which offices and clerks issue).
DUTY_STAMP_KINDS = ("labour", "levy", "directive")
# Programs whose entitlement grows with the household's members.
PER_MEMBER_PROGRAMS = (Program.Kind.GRAIN_RATION.value, Program.Kind.CASH_BENEFIT.value)
# Audited actions that add a member to a household (registry/services.py).
MEMBER_ADDING_ACTIONS = ("membership.add", "person.register", "person.move")
# Quantities are kept to two decimals; SQLite sums them as floating point.
EPSILON = 0.001


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


ON, UNTIL, KEY = '"on"', '"until"', '"key"'


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _date(value: date):
    return connection.ops.adapt_datefield_value(value)


def _datetime(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def start_of(day: date) -> datetime:
    """Midnight at the start of `day`, in the deployment's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _text(expression: str) -> str:
    return f"CAST({expression} AS TEXT)"


def _json(expression: str) -> str:
    """JSON text into a JSONField column: jsonb on PostgreSQL, text on SQLite."""
    return f"CAST({expression} AS jsonb)" if _pg() else expression


def _list(expression: str) -> str:
    """The distinct non-null values of `expression` over a group, joined by commas."""
    if _pg():
        return f"string_agg(DISTINCT {expression}, ',')"
    return f"group_concat(DISTINCT {expression})"


def _local_date(expression: str) -> Sql:
    """The day (in the deployment's time zone) of a timestamp column."""
    sql, params = connection.ops.datetime_cast_date_sql(expression, (), timezone.get_current_timezone_name())
    return Sql(sql, *params)


def _days(later: Sql, earlier: Sql) -> Sql:
    """Whole days from the date `earlier` to the date `later`."""
    if _pg():
        return Sql("(").extend(later).add(" - ").extend(earlier).add(")")
    return Sql("CAST(julianday(").extend(later).add(") - julianday(").extend(earlier).add(") AS INTEGER)")


def _seconds(later: str, earlier: str) -> str:
    if _pg():
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _current(alias: str, day: str) -> str:
    """A dated row (since, exclusive until) in force on the date expression `day`."""
    return f"{alias}.since <= {day} AND ({alias}.{UNTIL} IS NULL OR {alias}.{UNTIL} > {day})"


def _serial_matches(stamp: str, share: str) -> str:
    """A share's stamp_serial (the UUID as text) names the stamp: a UUID column on PostgreSQL, 32 hex digits on
    SQLite. Written so that the stamp's unique index on serial serves the look-up."""
    if _pg():
        return f"{stamp}.serial = CAST(NULLIF({share}.stamp_serial, '') AS uuid)"
    return f"{stamp}.serial = REPLACE({share}.stamp_serial, '-', '')"


def _json_household(entry: str) -> str:
    """The "household" of an audit entry's `after`, compared with its household_id (a person.move names both the
    household left and the one joined; only the one joined gained a member)."""
    if _pg():
        return f"({entry}.after ->> 'household') = CAST({entry}.household_id AS TEXT)"
    return f"json_extract({entry}.after, '$.household') = {entry}.household_id"


# The unit's office and leader ------------------------------------------------------------------------------------


def office_of(alias: str, depth: int) -> str:
    """The office governing the area `alias` (its own, else its parent's, …): like areas.selectors.office_governing,
    the first by code where one area has several. One look-up per level up, stopping at the first found."""
    office, area = _t(Office), _t(Area)
    levels = [f"(SELECT o.id FROM {office} o WHERE o.area_id = {alias}.id ORDER BY o.code LIMIT 1)"]
    if depth >= 1:
        levels.append(f"(SELECT o.id FROM {office} o WHERE o.area_id = {alias}.parent_id ORDER BY o.code LIMIT 1)")
    for up in range(2, depth + 1):
        tables = ", ".join(f"{area} x{index}" for index in range(1, up))
        chain = [f"x1.id = {alias}.parent_id"] + [f"x{index}.id = x{index - 1}.parent_id" for index in range(2, up)]
        chain.append(f"o.area_id = x{up - 1}.parent_id")
        levels.append(f"(SELECT o.id FROM {office} o, {tables} WHERE {' AND '.join(chain)} ORDER BY o.code LIMIT 1)")
    return levels[0] if len(levels) == 1 else f"COALESCE({', '.join(levels)})"


def sitting_leader(unit: str, day: str) -> str:
    """The user leading the unit on the date `day` (the most recent assignment if several)."""
    return (
        f"(SELECT ra.user_id FROM {_t(RoleAssignment)} ra WHERE ra.area_id = {unit} AND ra.role = 'leader' AND "
        f"{_current('ra', day)} ORDER BY ra.since DESC, ra.id DESC LIMIT 1)"
    )


def _leads(user: str, unit: str, day: Sql | None = None) -> Sql:
    """The user held a leader assignment on the unit (on the date `day`, if given)."""
    sql = Sql(
        f"EXISTS (SELECT 1 FROM {_t(RoleAssignment)} ra WHERE ra.user_id = {user} AND ra.role = 'leader' "
        f"AND ra.area_id = {unit}"
    )
    if day is not None:
        sql.add(" AND ra.since <= ").extend(day).add(f" AND (ra.{UNTIL} IS NULL OR ra.{UNTIL} > ").extend(day).add(")")
    return sql.add(")")


def _own_household(user: str, unit: str, household: str, day: Sql) -> Sql:
    """The user led the unit on `day` and was then a member of `household`: the household of the person linked to
    their leader (or resident) role assignment."""
    sql = Sql(
        f"EXISTS (SELECT 1 FROM {_t(RoleAssignment)} ra, {_t(RoleAssignment)} rp, {_t(Membership)} m "
        f"WHERE ra.user_id = {user} AND ra.role = 'leader' AND ra.area_id = {unit} AND ra.since <= "
    )
    sql.extend(day).add(f" AND (ra.{UNTIL} IS NULL OR ra.{UNTIL} > ").extend(day).add(")")
    sql.add(" AND rp.user_id = ra.user_id AND rp.role IN ('leader', 'resident') AND rp.person_id IS NOT NULL")
    sql.add(f" AND m.person_id = rp.person_id AND m.household_id = {household} AND m.since <= ").extend(day)
    return sql.add(f" AND (m.{UNTIL} IS NULL OR m.{UNTIL} > ").extend(day).add("))")


# Rules as SQL ------------------------------------------------------------------------------------------------------


def _rule_value(tiers: Tiers, name: str, path: str) -> Sql:
    def value(rule):
        if name == "enabled":
            return 1 if rule.enabled else 0
        if name == "threshold":
            return float(rule.threshold)
        return int(rule.min_count)

    default = value(tiers.default)
    if all(value(rule) == default for _, rule in tiers.tiers):
        return Sql("%s", default)
    sql = Sql("(CASE")
    for prefix, rule in tiers.tiers:
        sql.add(f" WHEN substr({path}, 1, %s) = %s THEN %s", len(prefix), prefix, value(rule))
    return sql.add(" ELSE %s END)", default)


def _enabled(tiers: Tiers, path: str) -> Sql:
    """ " AND the pattern is on for the unit", or nothing when it is on everywhere."""
    if tiers.default.enabled and all(rule.enabled for _, rule in tiers.tiers):
        return Sql()
    return Sql(" AND ").extend(_rule_value(tiers, "enabled", path)).add(" = 1")


# The statements ----------------------------------------------------------------------------------------------------


@dataclass
class Context:
    """What every statement needs, worked out once per scan."""

    today: date
    now: datetime
    depth: int  # the deepest area's depth, for the office look-up
    tiers: dict[str, Tiers] = field(default_factory=dict)
    cycle_window: tuple[datetime, datetime] | None = None  # members_before_cycle: when member-adding entries count
    since: datetime | None = None  # the window's start: records made (or dated) before it are not looked at

    @property
    def since_day(self) -> date | None:
        """The window's first day, in the deployment's time zone (for the date columns)."""
        return None if self.since is None else timezone.localtime(self.since).date()

    @property
    def tomorrow(self) -> datetime:
        """The end of `today`: records made later are left to a later scan."""
        return start_of(self.today + timedelta(days=1))


def insert_statement(pattern: str, candidates: Sql, context: Context) -> Sql:
    """INSERT the candidates not flagged yet, with the office governing their unit (and, where the candidate names
    a day instead of a leader, the unit's sitting leader that day)."""
    flag, area = _t(Flag), _t(Area)
    sql = Sql(
        f"INSERT INTO {flag} (pattern, {KEY}, unit_id, office_id, leader_id, occurred_on, evidence, facts, raised_at, "
        "status, explanation, decision_reason) "
    )
    sql.add(
        f"SELECT %s, x.k, x.unit_id, x.office_id, x.leader_id, x.occurred_on, {_json('x.evidence')}, "
        f"{_json('x.facts')}, %s, 'open', '', '' FROM (",
        pattern,
        _datetime(context.now),
    )
    sql.add(
        f"SELECT c.k, c.unit_id, COALESCE(c.leader_id, {sitting_leader('c.unit_id', 'c.leader_on')}) AS leader_id, "
        f"c.occurred_on, c.evidence, c.facts, {office_of('u', context.depth)} AS office_id FROM ("
    )
    sql.extend(candidates)
    sql.add(f") c JOIN {area} u ON u.id = c.unit_id WHERE NOT EXISTS (SELECT 1 FROM {flag} f ")
    sql.add(f"WHERE f.pattern = %s AND f.{KEY} = c.k)", pattern)
    return sql.add(f") x WHERE x.office_id IS NOT NULL ON CONFLICT (pattern, {KEY}) DO NOTHING")


def _attendance_in_window(session: str, context: Context) -> Sql:
    """ " AND the session had attendance recorded inside the window", or nothing when the scan reads all history.
    The attendance patterns group a session's attendance into one flag (its evidence, its counts): the window picks
    the sessions, and each session's attendance is then read whole, as a scan of all history would read it."""
    if context.since is None:
        return Sql()
    return Sql(
        f" AND {session} IN (SELECT wa.session_id FROM {_t(Attendance)} wa WHERE wa.recorded_at >= %s)",
        _datetime(context.since),
    )


def _made_in_window(column: str, context: Context) -> Sql:
    """ " AND the date-time `column` falls inside the window", or nothing when the scan reads all history."""
    if context.since is None:
        return Sql()
    return Sql(f" AND {column} >= %s", _datetime(context.since))


def stay_unregistered(context: Context) -> Sql:
    """A guest seen at a health check in a household with no stay registered for that night: flagged for the unit
    (its sitting leader that day), the check as evidence, never the guest."""
    tiers = context.tiers[Pattern.STAY_UNREGISTERED]
    sql = Sql(
        f"SELECT 'healthcheck:' || {_text('h.id')} AS k, h.unit_id AS unit_id, CAST(NULL AS INTEGER) AS leader_id, "
        "h.checked_on AS leader_on, h.checked_on AS occurred_on, "
        f"""'[{{"type": "healthcheck", "id": ' || {_text("h.id")} || '}}]' AS evidence, """
        f"""'{{"household": ' || {_text("h.household_id")} || '}}' AS facts """
        f"FROM {_t(HealthCheck)} h JOIN {_t(Area)} u ON u.id = h.unit_id "
        "WHERE h.subject = 'unregistered_guest' AND h.checked_on <= %s ",
        _date(context.today),
    )
    if context.since is not None:
        # Dated or recorded inside the window: a check may be recorded days after the night it is about.
        sql.add("AND (h.checked_on >= %s OR h.recorded_at >= %s) ", _date(context.since_day), _datetime(context.since))
    # Let pass only a stay of this guest (by name, spaces aside), covering the night, registered before the check:
    # the worker missed a registration. Another guest's stay covers nothing, and one registered after the check is
    # the cover-up this pattern is about. Once the names are erased (the stays purge), any such stay lets it pass.
    sql.add(
        f"AND NOT EXISTS (SELECT 1 FROM {_t(Stay)} s WHERE s.household_id = h.household_id AND "
        "s.arrives_on <= h.checked_on AND h.checked_on <= COALESCE(s.departed_on, s.departs_on) AND "
        "s.registered_at <= h.recorded_at AND (REPLACE(s.guest_name, ' ', '') = REPLACE(h.guest_name, ' ', '') "
        "OR s.purged_at IS NOT NULL OR h.guest_name = ''))"
    )
    return sql.extend(_enabled(tiers, "u.path"))


def leader_own_attendance(context: Context) -> Sql:
    """Attendance a leader recorded for their own household: one flag per session and household."""
    tiers = context.tiers[Pattern.LEADER_OWN_ATTENDANCE]
    attendance_items = _list(f"""'{{"type": "attendance", "id": ' || {_text("a.id")} || '}}'""")
    sql = Sql(
        f"SELECT 'session:' || {_text('s.id')} || ':household:' || {_text('a.household_id')} AS k, "
        f"s.unit_id AS unit_id, a.recorded_by_id AS leader_id, CAST(NULL AS DATE) AS leader_on, s.{ON} AS occurred_on, "
        f"""'[{{"type": "session", "id": ' || {_text("s.id")} || '}},' || {attendance_items} || ']' AS evidence, """
        f"""'{{"household": ' || {_text("a.household_id")} || ', "attendances": ' || {_text("COUNT(*)")} || """
        f"""', "hours": ' || {_text("SUM(a.hours)")} || '}}' AS facts """
        f"FROM {_t(Attendance)} a JOIN {_t(Session)} s ON s.id = a.session_id JOIN {_t(Area)} u ON u.id = s.unit_id "
        f"WHERE s.{ON} <= %s AND ",
        _date(context.today),
    )
    sql.extend(_own_household("a.recorded_by_id", "s.unit_id", "a.household_id", Sql(f"s.{ON}")))
    sql.extend(_enabled(tiers, "u.path")).extend(_attendance_in_window("s.id", context))
    return sql.add(f" GROUP BY s.id, s.unit_id, s.{ON}, a.household_id, a.recorded_by_id")


def leader_own_confirmation(context: Context) -> Sql:
    """A stamp a leader issued to their own household (a share's or a directive acknowledgement's confirmation)."""
    tiers = context.tiers[Pattern.LEADER_OWN_CONFIRMATION]
    issued_on = _local_date("st.issued_at")
    share_item = (
        f"""(SELECT ', {{"type": "share", "id": ' || {_text("MIN(sh.id)")} || '}}' FROM {_t(Share)} sh """
        f"WHERE sh.household_id = st.household_id AND {_serial_matches('st', 'sh')})"
    )
    sql = Sql(
        f"SELECT 'stamp:' || {_text('st.id')} AS k, st.unit_id AS unit_id, st.issued_by_id AS leader_id, "
        "CAST(NULL AS DATE) AS leader_on, "
    )
    sql.extend(issued_on).add(" AS occurred_on, ")
    sql.add(
        f"""'[{{"type": "stamp", "id": ' || {_text("st.id")} || '}}' || COALESCE({share_item}, '') || ']' """
        f"""AS evidence, '{{"household": ' || {_text("st.household_id")} || '}}' AS facts """
        f"FROM {_t(Stamp)} st JOIN {_t(Area)} u ON u.id = st.unit_id "
        f"WHERE st.duty_kind IN ({', '.join(repr(kind) for kind in DUTY_STAMP_KINDS)}) "
        "AND st.issued_by_id IS NOT NULL AND st.issued_at < %s AND ",
        _datetime(context.tomorrow),
    )
    sql.extend(_own_household("st.issued_by_id", "st.unit_id", "st.household_id", _local_date("st.issued_at")))
    return sql.extend(_made_in_window("st.issued_at", context)).extend(_enabled(tiers, "u.path"))


def stamp_unfulfilled(context: Context) -> Sql:
    """A stamp (not revoked) for a share whose recorded attendance (person-hour campaigns) or deliveries fall short
    of what was due. Counted from the records themselves, not from the share's running total."""
    tiers = context.tiers[Pattern.STAMP_UNFULFILLED]
    recorded = (
        f"CASE WHEN c.measure = 'person_hours' "
        f"THEN COALESCE((SELECT SUM(a.hours) FROM {_t(Attendance)} a WHERE a.share_id = sh.id), 0) "
        f"ELSE COALESCE((SELECT SUM(d.quantity) FROM {_t(Delivery)} d WHERE d.share_id = sh.id), 0) END"
    )
    inner = Sql(
        "SELECT st.id AS stamp_id, st.unit_id AS unit_id, st.issued_by_id AS issued_by_id, st.issued_at AS issued_at, "
        f"sh.id AS share_id, sh.household_id AS household_id, sh.quantity - sh.waived AS due, {recorded} AS recorded "
        f"FROM {_t(Share)} sh JOIN {_t(Stamp)} st ON {_serial_matches('st', 'sh')} "
        f"JOIN {_t(Quota)} q ON q.id = sh.quota_id LEFT JOIN {_t(Campaign)} c ON c.id = q.campaign_id "
        f"JOIN {_t(Area)} u ON u.id = st.unit_id "
        "WHERE sh.stamp_serial <> '' AND st.revoked_at IS NULL AND st.issued_at < %s",
        _datetime(context.tomorrow),
    )
    inner.extend(_made_in_window("st.issued_at", context)).extend(_enabled(tiers, "u.path"))
    sql = Sql(f"SELECT 'stamp:' || {_text('z.stamp_id')} AS k, z.unit_id AS unit_id, CASE WHEN ")
    sql.extend(_leads("z.issued_by_id", "z.unit_id")).add(
        " THEN z.issued_by_id END AS leader_id, CAST(NULL AS DATE) AS leader_on, "
    )
    sql.extend(_local_date("z.issued_at")).add(" AS occurred_on, ")
    sql.add(
        f"""'[{{"type": "stamp", "id": ' || {_text("z.stamp_id")} || '}}, {{"type": "share", "id": ' || """
        f"""{_text("z.share_id")} || '}}]' AS evidence, """
        f"""'{{"household": ' || {_text("z.household_id")} || ', "due": ' || {_text("z.due")} || """
        f"""', "recorded": ' || {_text("z.recorded")} || '}}' AS facts FROM ("""
    )
    sql.extend(inner)
    return sql.add(") z WHERE z.recorded < z.due - %s", EPSILON)


def _years_before(day: str, years: str) -> str:
    """The date `years` (an integer column) years before the date `day`."""
    if _pg():
        return f"CAST({day} - make_interval(years => {years}) AS date)"
    return f"date({day}, '-' || ({years}) || ' years')"


def _of_working_age(birth: str, day: str, rule: str) -> str:
    """Aged from the rule's min_age to its max_age (inclusive) on `day`, as the attendance sheet counts it."""
    return (
        f"{birth} <= {_years_before(day, f'{rule}.min_age')} AND {birth} > {_years_before(day, f'{rule}.max_age + 1')}"
    )


def bulk_attendance(context: Context) -> Sql:
    """A session where one user recorded, each household in one go (seconds apart), the attendance of a whole
    household: every member of working age under the campaign's rule, as the sheet's "whole household present"
    marks it. Flagged when there are at least `min_count` such households and they are at least `threshold` % of the
    households that attended. (A leader recording their own household is leader_own_attendance.)"""
    tiers = context.tiers[Pattern.BULK_ATTENDANCE]
    members = (
        f"(SELECT COUNT(*) FROM {_t(Membership)} m JOIN {_t(Person)} mp ON mp.id = m.person_id "
        f"WHERE m.household_id = a.household_id AND {_current('m', f's0.{ON}')} "
        f"AND {_of_working_age('mp.birth_date', f's0.{ON}', 'r0')})"
    )
    per_household = Sql(
        "SELECT a.session_id AS session_id, a.household_id AS household_id, MIN(a.recorded_by_id) AS recorder, "
        f"SUM(CASE WHEN {_of_working_age('p0.birth_date', f's0.{ON}', 'r0')} THEN 1 ELSE 0 END) AS attended, "
        f"{members} AS members "
        f"FROM {_t(Attendance)} a JOIN {_t(Session)} s0 ON s0.id = a.session_id "
        f"JOIN {_t(Campaign)} c0 ON c0.id = s0.campaign_id JOIN {_t(AllocationRule)} r0 ON r0.id = c0.rule_id "
        f"JOIN {_t(Person)} p0 ON p0.id = a.person_id WHERE s0.{ON} <= %s ",
        _date(context.today),
    )
    per_household.extend(_attendance_in_window("a.session_id", context))
    per_household.add(
        f" GROUP BY a.session_id, a.household_id, s0.{ON}, r0.min_age, r0.max_age "
        # Filtered before the members are counted, so that they are counted only for households recorded in one go.
        f"HAVING COUNT(DISTINCT a.recorded_by_id) = 1 AND {_seconds('MAX(a.recorded_at)', 'MIN(a.recorded_at)')} <= %s",
        BULK_SECONDS,
    )
    sql = Sql(f"SELECT 'session:' || {_text('w.session_id')} AS k, s.unit_id AS unit_id, CASE WHEN ")
    sql.extend(_leads("w.recorder", "s.unit_id")).add(" THEN w.recorder END AS leader_id, ")
    sql.add(
        f"CAST(NULL AS DATE) AS leader_on, s.{ON} AS occurred_on, "
        f"""'[{{"type": "session", "id": ' || {_text("w.session_id")} || '}}]' AS evidence, """
        f"""'{{"households": ' || {_text("w.whole")} || ', "attending_households": ' || {_text("t.attending")} """
        f"""|| '}}' AS facts FROM (SELECT ph.session_id AS session_id, ph.recorder AS recorder, COUNT(*) AS whole """
        "FROM ("
    )
    sql.extend(per_household)
    sql.add(
        ") ph WHERE ph.members >= 1 AND ph.attended >= ph.members "
        "GROUP BY ph.session_id, ph.recorder) w "
        "JOIN (SELECT a.session_id AS session_id, COUNT(DISTINCT a.household_id) AS attending "
        f"FROM {_t(Attendance)} a WHERE 1 = 1"
    )
    sql.extend(_attendance_in_window("a.session_id", context))
    sql.add(
        " GROUP BY a.session_id) t ON t.session_id = w.session_id "
        f"JOIN {_t(Session)} s ON s.id = w.session_id JOIN {_t(Area)} u ON u.id = s.unit_id WHERE w.whole >= "
    )
    sql.extend(_rule_value(tiers, "min_count", "u.path")).add(" AND w.whole * 100 >= ")
    sql.extend(_rule_value(tiers, "threshold", "u.path")).add(" * t.attending")
    return sql.extend(_enabled(tiers, "u.path"))


def late_attendance(context: Context) -> Sql:
    """Attendance recorded more than `threshold` days after the session's day: one flag per session and recorder."""
    tiers = context.tiers[Pattern.LATE_ATTENDANCE]
    threshold = _rule_value(tiers, "threshold", "u.path")
    attendance_items = _list(f"""'{{"type": "attendance", "id": ' || {_text("a.id")} || '}}'""")
    sql = Sql(
        f"SELECT 'session:' || {_text('s.id')} || ':late:' || {_text('a.recorded_by_id')} AS k, s.unit_id AS unit_id, "
        "CASE WHEN "
    )
    sql.extend(_leads("a.recorded_by_id", "s.unit_id")).add(" THEN a.recorded_by_id END AS leader_id, ")
    sql.add(
        f"CAST(NULL AS DATE) AS leader_on, s.{ON} AS occurred_on, "
        f"""'[{{"type": "session", "id": ' || {_text("s.id")} || '}},' || {attendance_items} || ']' AS evidence, """
        f"""'{{"attendances": ' || {_text("COUNT(*)")} || ', "days_after": ' || """
    )
    sql.add("CAST(MAX(").extend(_days(_local_date("a.recorded_at"), Sql(f"s.{ON}"))).add(") AS TEXT) || '}' AS facts ")
    sql.add(
        f"FROM {_t(Attendance)} a JOIN {_t(Session)} s ON s.id = a.session_id JOIN {_t(Area)} u ON u.id = s.unit_id "
        "WHERE a.recorded_at < %s AND ",
        _datetime(context.tomorrow),
    )
    if not _pg():
        # A cheap necessary condition first (the time zone moves a day by less than one), so that SQLite calls its
        # time zone function only for attendance recorded days after the session.
        sql.add(f"julianday(a.recorded_at) - julianday(s.{ON}) > ").extend(threshold).add(" - 1 AND ")
    sql.extend(_days(_local_date("a.recorded_at"), Sql(f"s.{ON}"))).add(" > ").extend(threshold)
    sql.extend(_enabled(tiers, "u.path")).extend(_attendance_in_window("s.id", context))
    return sql.add(f" GROUP BY s.id, s.unit_id, s.{ON}, a.recorded_by_id")


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def waiver_rate(context: Context) -> Sql:
    """Units whose approved waivers and recorded exemptions per share over the last 365 days are at least
    `threshold` times the rate of their district (the units their office governs), with at least `min_count` of them.
    One flag per unit and quarter.

    The scan's window does not apply here: a rate is a count over a fixed period, and reading only the window's
    waivers would make it a rate over a few weeks, against a district rate over the same few weeks, with the
    min_count met far less often — another pattern than the one the office set its threshold for. The year is a
    bound of its own: the statement reads a year of waivers, exemptions and quotas, however long the history."""
    tiers = context.tiers[Pattern.WAIVER_RATE]
    since, until = _datetime(start_of(context.today - timedelta(days=365))), _datetime(context.tomorrow)
    waiver_item = (
        """CASE WHEN ev.waiver_id IS NOT NULL """
        f"""THEN '{{"type": "waiver", "id": ' || {_text("ev.waiver_id")} || '}}' END"""
    )
    sql = Sql(
        "WITH ev AS ("
        "SELECT q.unit_id AS unit_id, 1 AS waivers, 0 AS exemptions, 0 AS shares, w.id AS waiver_id "
        f"FROM {_t(Waiver)} w JOIN {_t(Share)} sh ON sh.id = w.share_id JOIN {_t(Quota)} q ON q.id = sh.quota_id "
        "WHERE w.status = 'approved' AND w.decided_at >= %s AND w.decided_at < %s "
        "UNION ALL SELECT h.unit_id, 0, 1, 0, NULL "
        f"FROM {_t(DutyExemption)} e JOIN {_t(Person)} p ON p.id = e.person_id "
        f"JOIN {_t(Household)} h ON h.id = p.household_id WHERE e.recorded_at >= %s AND e.recorded_at < %s "
        "UNION ALL SELECT q.unit_id, 0, 0, 1, NULL "
        f"FROM {_t(Share)} sh JOIN {_t(Quota)} q ON q.id = sh.quota_id WHERE q.set_at >= %s AND q.set_at < %s), ",
        since,
        until,
        since,
        until,
        since,
        until,
    )
    sql.add(
        "uc AS (SELECT ev.unit_id AS unit_id, SUM(ev.waivers) AS waivers, SUM(ev.exemptions) AS exemptions, "
        f"SUM(ev.shares) AS shares, {_list(waiver_item)} AS items FROM ev GROUP BY ev.unit_id), "
        "uo AS (SELECT uc.unit_id AS unit_id, uc.waivers AS waivers, uc.exemptions AS exemptions, "
        "uc.shares AS shares, "
        f"uc.items AS items, u.path AS path, {office_of('u', context.depth)} AS office_id "
        f"FROM uc JOIN {_t(Area)} u ON u.id = uc.unit_id), "
        "oc AS (SELECT uo.office_id AS office_id, SUM(uo.waivers + uo.exemptions) AS events, SUM(uo.shares) AS shares "
        "FROM uo WHERE uo.office_id IS NOT NULL GROUP BY uo.office_id) "
    )
    sql.add(
        f"SELECT 'unit:' || {_text('uo.unit_id')} || ':' || %s AS k, uo.unit_id AS unit_id, "
        "CAST(NULL AS INTEGER) AS leader_id, "
        "%s AS leader_on, %s AS occurred_on, '[' || COALESCE(uo.items, '') || ']' AS evidence, "
        f"""'{{"waivers": ' || {_text("uo.waivers")} || ', "exemptions": ' || {_text("uo.exemptions")} || """
        f"""', "shares": ' || {_text("uo.shares")} || ', "district_events": ' || {_text("oc.events")} || """
        f"""', "district_shares": ' || {_text("oc.shares")} || '}}' AS facts """
        "FROM uo JOIN oc ON oc.office_id = uo.office_id WHERE uo.shares > 0 AND oc.shares > 0 "
        "AND uo.waivers + uo.exemptions >= ",
        quarter_of(context.today),
        _date(context.today),
        _date(context.today),
    )
    sql.extend(_rule_value(tiers, "min_count", "uo.path"))
    sql.add(" AND (uo.waivers + uo.exemptions) * oc.shares >= ").extend(_rule_value(tiers, "threshold", "uo.path"))
    sql.add(" * oc.events * uo.shares")
    return sql.extend(_enabled(tiers, "uo.path"))


def _cycle_in_window(cycle: str, context: Context) -> Sql:
    """ " AND the cycle's reference date, or its making, falls inside the window", or nothing for all history."""
    if context.since is None:
        return Sql()
    return Sql(
        f" AND ({cycle}.reference_date >= %s OR {cycle}.created_at >= %s)",
        _date(context.since_day),
        _datetime(context.since),
    )


def members_before_cycle(context: Context) -> Sql:
    """Members added to a household by the unit's leader alone (no officer's account) within `threshold` days before
    the reference date of a ration or cash cycle whose program covers the unit, and still members on that date, so
    that they raise the household's entitlement. One flag per cycle and household.

    The window picks the cycles (reference date, or made, inside it); their member-adding entries are read from
    `context.cycle_window`, up to `threshold` days before the first such reference date. A member added inside the
    window counts towards a cycle inside it (the reference date is on or after the day they were added)."""
    tiers = context.tiers[Pattern.MEMBERS_BEFORE_CYCLE]
    since, until = context.cycle_window
    days_before = _days(Sql("cy.reference_date"), _local_date("e.at"))
    membership_items = _list(f"""'{{"type": "membership", "id": ' || {_text("m.id")} || '}}'""")
    sql = Sql(
        f"SELECT 'cycle:' || {_text('cy.id')} || ':household:' || {_text('h.id')} AS k, h.unit_id AS unit_id, "
        "MIN(e.actor_id) AS leader_id, CAST(NULL AS DATE) AS leader_on, MAX("
    )
    sql.extend(_local_date("e.at")).add(") AS occurred_on, ")
    sql.add(
        f"""'[{{"type": "cycle", "id": ' || {_text("cy.id")} || '}},' || {membership_items} || ']' AS evidence, """
        f"""'{{"household": ' || {_text("h.id")} || ', "members_added": ' || {_text("COUNT(DISTINCT m.id)")} || """
        """', "days_before": ' || CAST(MIN("""
    )
    sql.extend(days_before).add(") AS TEXT) || '}' AS facts ")
    sql.add(
        f"FROM {_t(AuditEntry)} e JOIN {_t(Household)} h ON h.id = e.household_id "
        f"JOIN {_t(Area)} u ON u.id = h.unit_id "
        f"JOIN {_t(Membership)} m ON m.household_id = e.household_id AND ("
        f"(e.target_type = 'registry.membership' AND e.target_id = {_text('m.id')}) OR "
        f"(e.target_type = 'registry.person' AND e.target_id = {_text('m.person_id')})) "
        f"JOIN {_t(Cycle)} cy ON {_current('m', 'cy.reference_date')} "
        f"JOIN {_t(Program)} p ON p.id = cy.program_id JOIN {_t(Area)} pa ON pa.id = p.area_id "
        f"WHERE e.action IN ({', '.join(repr(action) for action in MEMBER_ADDING_ACTIONS)}) "
        "AND e.at >= %s AND e.at < %s "
        f"AND p.kind IN ({', '.join(repr(kind) for kind in PER_MEMBER_PROGRAMS)}) "
        "AND substr(u.path, 1, length(pa.path)) = pa.path "
        f"AND (e.action <> 'person.move' OR {_json_household('e')}) AND ",
        _datetime(since),
        _datetime(until),
    )
    sql.extend(days_before).add(" >= 0 AND ").extend(days_before).add(" <= ")
    sql.extend(_rule_value(tiers, "threshold", "u.path")).add(" AND ")
    sql.extend(_leads("e.actor_id", "h.unit_id", _local_date("e.at")))
    sql.add(
        f" AND NOT EXISTS (SELECT 1 FROM {_t(RoleAssignment)} ro WHERE ro.user_id = e.actor_id "
        "AND ro.role IN ('officer', 'admin'))"
    )
    sql.extend(_enabled(tiers, "u.path")).extend(_cycle_in_window("cy", context))
    return sql.add(" GROUP BY cy.id, h.id, h.unit_id")


CANDIDATES = {
    Pattern.STAY_UNREGISTERED: stay_unregistered,
    Pattern.LEADER_OWN_ATTENDANCE: leader_own_attendance,
    Pattern.LEADER_OWN_CONFIRMATION: leader_own_confirmation,
    Pattern.STAMP_UNFULFILLED: stamp_unfulfilled,
    Pattern.BULK_ATTENDANCE: bulk_attendance,
    Pattern.LATE_ATTENDANCE: late_attendance,
    Pattern.WAIVER_RATE: waiver_rate,
    Pattern.MEMBERS_BEFORE_CYCLE: members_before_cycle,
}
