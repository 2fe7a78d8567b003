"""The SQL the ERP gateway sends to Oracle E-Business Suite (12.1 and 12.2).

Every value is a bind variable; only the schema and the wrapper package's name, checked
to be plain identifiers, are spliced into the text. Dates are the database's own
(``SYSDATE``): EBS stamps its rows with the database server's wall clock.
"""

# The person row and the primary employee or contingent-worker assignment current
# today, and the organisation of that assignment, named in :language when the _TL table
# has it (the base name otherwise).
_PROFILE_FROM = """
FROM {schema}.FND_USER fu
LEFT JOIN {schema}.PER_ALL_PEOPLE_F papf
    ON papf.person_id = fu.employee_id
    AND TRUNC(SYSDATE) BETWEEN papf.effective_start_date AND papf.effective_end_date
LEFT JOIN {schema}.PER_ALL_ASSIGNMENTS_F paaf
    ON paaf.person_id = papf.person_id
    AND paaf.primary_flag = 'Y'
    AND paaf.assignment_type IN ('E', 'C')
    AND TRUNC(SYSDATE) BETWEEN paaf.effective_start_date AND paaf.effective_end_date
LEFT JOIN {schema}.HR_ALL_ORGANIZATION_UNITS haou
    ON haou.organization_id = paaf.organization_id
LEFT JOIN {schema}.HR_ALL_ORGANIZATION_UNITS_TL haout
    ON haout.organization_id = haou.organization_id
    AND haout.language = :language"""

PROFILES = (
    """SELECT
    fu.user_name,
    NVL(fu.email_address, papf.email_address),
    papf.first_name,
    papf.middle_names,
    papf.last_name,
    papf.full_name,
    papf.employee_number,
    NVL(haout.name, haou.name),
    fu.start_date,
    fu.end_date,
    papf.person_id,
    papf.current_employee_flag,
    papf.current_npw_flag"""
    + _PROFILE_FROM
    + """
WHERE fu.user_name IN ({usernames})
ORDER BY fu.user_name, paaf.assignment_type DESC NULLS LAST"""
)

# Direct grants and those inherited through roles live in two tables with their own
# dates; FND dates are read as ERPProfile.is_active_on reads them: from the start date,
# up to the end date.
_GRANTS = """(
    SELECT user_id, responsibility_id, responsibility_application_id, start_date, end_date,
        last_update_date
    FROM {schema}.FND_USER_RESP_GROUPS_DIRECT
    UNION ALL
    SELECT user_id, responsibility_id, responsibility_application_id, start_date, end_date,
        last_update_date
    FROM {schema}.FND_USER_RESP_GROUPS_INDIRECT
)"""

RESPONSIBILITIES = (
    """SELECT DISTINCT fu.user_name, fr.responsibility_key
FROM {schema}.FND_USER fu
JOIN """
    + _GRANTS
    + """ furg
    ON furg.user_id = fu.user_id
JOIN {schema}.FND_RESPONSIBILITY fr
    ON fr.responsibility_id = furg.responsibility_id
    AND fr.application_id = furg.responsibility_application_id
WHERE fu.user_name IN ({usernames})
    AND TRUNC(furg.start_date) <= TRUNC(SYSDATE)
    AND (furg.end_date IS NULL OR TRUNC(furg.end_date) > TRUNC(SYSDATE))
    AND TRUNC(fr.start_date) <= TRUNC(SYSDATE)
    AND (fr.end_date IS NULL OR TRUNC(fr.end_date) > TRUNC(SYSDATE))
ORDER BY fu.user_name, fr.responsibility_key"""
)

# Users changed in (:since, :until], one query per table, each a range on that table's
# own columns (an OR across the joined tables made Oracle read all of them in full).
# Effective-dated rows and grants also count when their start or end date passed in the
# window: nothing was written then, but what is current changed.
CHANGED = {
    "FND_USER": """SELECT fu.user_name
FROM {schema}.FND_USER fu
WHERE fu.last_update_date >= :since AND fu.last_update_date <= :until""",
    "PER_ALL_PEOPLE_F": """SELECT DISTINCT fu.user_name
FROM {schema}.PER_ALL_PEOPLE_F papf
JOIN {schema}.FND_USER fu ON fu.employee_id = papf.person_id
WHERE (papf.last_update_date >= :since AND papf.last_update_date <= :until)
    OR (papf.effective_start_date > :since AND papf.effective_start_date <= :until)""",
    "PER_ALL_ASSIGNMENTS_F": """SELECT DISTINCT fu.user_name
FROM {schema}.PER_ALL_ASSIGNMENTS_F paaf
JOIN {schema}.FND_USER fu ON fu.employee_id = paaf.person_id
WHERE (paaf.last_update_date >= :since AND paaf.last_update_date <= :until)
    OR (paaf.effective_start_date > :since AND paaf.effective_start_date <= :until)""",
    "FND_USER_RESP_GROUPS_DIRECT": """SELECT DISTINCT fu.user_name
FROM {schema}.FND_USER_RESP_GROUPS_DIRECT furg
JOIN {schema}.FND_USER fu ON fu.user_id = furg.user_id
WHERE (furg.last_update_date >= :since AND furg.last_update_date <= :until)
    OR (furg.start_date > :since AND furg.start_date <= :until)
    OR (furg.end_date > :since AND furg.end_date <= :until)""",
    "FND_USER_RESP_GROUPS_INDIRECT": """SELECT DISTINCT fu.user_name
FROM {schema}.FND_USER_RESP_GROUPS_INDIRECT furg
JOIN {schema}.FND_USER fu ON fu.user_id = furg.user_id
WHERE (furg.last_update_date >= :since AND furg.last_update_date <= :until)
    OR (furg.start_date > :since AND furg.start_date <= :until)
    OR (furg.end_date > :since AND furg.end_date <= :until)""",
    "FND_RESPONSIBILITY": """SELECT DISTINCT fu.user_name
FROM {schema}.FND_RESPONSIBILITY fr
JOIN """
    + _GRANTS
    + """ furg
    ON furg.responsibility_id = fr.responsibility_id
    AND furg.responsibility_application_id = fr.application_id
JOIN {schema}.FND_USER fu ON fu.user_id = furg.user_id
WHERE (fr.last_update_date >= :since AND fr.last_update_date <= :until)
    OR (fr.start_date > :since AND fr.start_date <= :until)
    OR (fr.end_date > :since AND fr.end_date <= :until)""",
}

# The wrapper package (docs/integrations.md): APPS-owned, definer's rights, so the
# service account needs EXECUTE on it and nothing on FND_USER_PKG or FND_WEB_SEC.
LOGIN = """BEGIN
    :result := {package}.login(:username, :password);
END;"""

FAILURE_LIMIT = """BEGIN
    :result := {package}.failure_limit;
END;"""

NOW = "SELECT SYSDATE FROM DUAL"

# What erp_check reads about the session: the clock, the transport, and (thick mode,
# when the account may read it) whether native network encryption is on.
SESSION = """SELECT SYSDATE, SYS_CONTEXT('USERENV', 'NETWORK_PROTOCOL') FROM DUAL"""
SESSION_ENCRYPTION = """SELECT network_service_banner
FROM v$session_connect_info
WHERE sid = SYS_CONTEXT('USERENV', 'SID')"""

# Each object the gateway reads, probed with a statement that reads no row.
PROBE = "SELECT NULL FROM {schema}.{table} WHERE 1 = 0"
FND_USER_VISIBLE = "SELECT COUNT(*) FROM {schema}.FND_USER WHERE ROWNUM = 1"
TABLES = (
    "FND_USER",
    "FND_USER_RESP_GROUPS_DIRECT",
    "FND_USER_RESP_GROUPS_INDIRECT",
    "FND_RESPONSIBILITY",
    "PER_ALL_PEOPLE_F",
    "PER_ALL_ASSIGNMENTS_F",
    "HR_ALL_ORGANIZATION_UNITS",
    "HR_ALL_ORGANIZATION_UNITS_TL",
)
