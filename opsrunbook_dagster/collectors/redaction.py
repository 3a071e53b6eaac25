"""Secret redaction applied to every string of an evidence object before it is stored.

Three kinds of rule, applied in order (a later rule never touches a ``[REDACTED:...]`` marker):

1. shapes that are secrets wherever they appear: PEM private keys, JWTs, bearer tokens, AWS
   keys, credentials in URLs;
2. a *key-value* rule: any key whose name contains a secret word (``DB_PASSWORD``,
   ``JIRA_API_TOKEN``, ``GITHUB_WEBHOOK_SECRET``, ``access_token``, ``'password'``, ...) followed
   by ``=``, ``:`` or ``=>`` in env, JSON, Python repr, YAML, header or query-string form; a quoted
   value goes whole (multi-word passwords), an unquoted one up to the next delimiter;
3. vendor token prefixes (GitHub, Slack, Atlassian, GitLab, Stripe, Google, npm, PyPI, ...),
   after the token-prefix plugins of ``detect-secrets`` and gitleaks' rules, and signed query
   parameters (``sig=``, ``X-Amz-Signature=``, ...).

Each rule has cheap literal pre-checks: a line without any of them skips the regex.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

_Replacement = str | Callable[[re.Match[str]], str]

_SECRET_WORDS = (
    r"passwd|password|passphrase|pass(?![a-z])|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|credentials?|session[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|auth[_-]?key"
)
# key (any name containing a secret word), separator, then a quoted or a bare value
_KEY_VALUE = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?P<key>[A-Za-z0-9_.-]*?(?:" + _SECRET_WORDS + r")[A-Za-z0-9_.-]*)"
    r"(?P<sep>\\?[\"']?\s*(?:=>|[:=])\s*)"
    r"(?P<value>\"(?:[^\"\\\n]|\\.)+\"|'(?:[^'\\\n]|\\.)+'|\\\"[^\"\\\n]+\\\""
    r"|(?!\[REDACTED)[^\s\"'\\,;&}\])<>]{3,})"
)
_BARE_NON_SECRETS = frozenset({"null", "none", "true", "false", "undefined", "redacted", "***", "****"})
# names of things *about* a secret, not the secret: AccessKeyId, token_type, secret_name, ...
_NOT_SECRET_KEY = re.compile(
    r"(?i)(?:id|ids|name|arn|type|length|count|expires|expiry|ttl|url|uri|path|file)$"
)
_ENDS_WITH_WORD = re.compile(r"(?i)(?:" + _SECRET_WORDS + r")$")


def _key_value(match: re.Match[str]) -> str:
    key, sep, value = match["key"], match["sep"], match["value"]
    if _NOT_SECRET_KEY.search(key):
        return match[0]
    # "password:x" yes; "secretsmanager:GetSecretValue", "...:secret:prod/db" (ARNs) no
    bare_colon = sep[0] == ":" and not sep.endswith((" ", "\t"))
    if bare_colon and (not _ENDS_WITH_WORD.search(key) or match.string[max(match.start() - 1, 0)] == ":"):
        return match[0]
    if value.startswith('\\"'):
        quote, inner = '\\"', value[2:-2]
    elif value[0] in "\"'":
        quote, inner = value[0], value[1:-1]
    else:
        quote, inner = "", value
    if inner.lower() in _BARE_NON_SECRETS or inner.startswith("[REDACTED") or inner.startswith("${"):
        return match[0]
    return f"{key}{sep}{quote}[REDACTED:password]{quote}"


# (name, literal pre-checks in lowercase or None, pattern, replacement)
_RULES: tuple[tuple[str, tuple[str, ...] | None, re.Pattern[str], _Replacement], ...] = (
    (
        "private_key",
        ("private key",),
        # Without an END marker (a line cut at its byte budget) everything after BEGIN goes.
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:.*?-----END [A-Z ]*PRIVATE KEY-----|.*)", re.S),
        "[REDACTED:private_key]",
    ),
    (
        "jwt",
        ("eyj",),
        re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
        "[REDACTED:jwt]",
    ),
    (
        "bearer_token",
        ("bearer",),
        re.compile(
            r"(?i)\b(bearer)\s+(?:(?=[A-Za-z\-._~+/]*\d)[A-Za-z0-9\-._~+/]{12,}|[A-Za-z0-9\-._~+/]{20,})=*"
        ),
        r"\1 [REDACTED:bearer_token]",
    ),
    (
        "authorization",
        ("authorization",),
        re.compile(
            r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:basic|token|digest|negotiate|ntlm|aws4-hmac-sha256|sharedkey)\s+)"
            r"(?!\[REDACTED)[^\s\"']{4,}"
        ),
        r"\1[REDACTED:authorization]",
    ),
    (
        "cookie",
        ("cookie",),
        re.compile(r"(?im)^(.*?\b(?:set-)?cookie\s*:\s*)(?!\[REDACTED)[^\"'\r\n]{3,}"),
        r"\1[REDACTED:cookie]",
    ),
    (
        "aws_access_key",
        None,
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ABIA|ACCA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"),
        "[REDACTED:aws_access_key]",
    ),
    (
        "aws_secret_key",
        ("secret",),
        re.compile(
            r"(?i)(aws_?secret_?access_?key|secretAccessKey)([\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{30,}"
        ),
        r"\1\2[REDACTED:aws_secret_key]",
    ),
    (
        "connection_string",
        ("://",),
        re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}://[^:/\s@\"']*):([^@\s/\"']+)@"),
        r"\1:[REDACTED:connection_string]@",
    ),
    (
        "signed_url",
        ("sig", "x-amz-", "x-goog-", "token=", "key="),
        re.compile(
            r"(?i)([?&;](?:sig|signature|x-amz-signature|x-amz-security-token|x-amz-credential|x-goog-signature"
            r"|x-goog-credential|access_token|token|api_key|apikey|key|code)=)(?!\[REDACTED)[^&\s\"'#<>]+"
        ),
        r"\1[REDACTED:signed_url]",
    ),
    (
        "password",
        ("pass", "pwd", "secret", "token", "key", "credential"),
        _KEY_VALUE,
        _key_value,
    ),
    (
        "vendor_token",
        None,
        re.compile(
            r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}"
            r"|xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,}"
            r"|glpat-[A-Za-z0-9_-]{20,}|gl(?:ptt|rt|dt|cbt|oas)-[A-Za-z0-9_-]{20,}"
            r"|ATATT3[A-Za-z0-9_=-]{30,}|ATCTT3[A-Za-z0-9_=-]{30,}"
            r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,}"
            r"|AIza[0-9A-Za-z_-]{35}|ya29\.[0-9A-Za-z_-]{20,}"
            r"|npm_[A-Za-z0-9]{36}|pypi-AgE[A-Za-z0-9_-]{50,}"
            r"|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}|SK[0-9a-f]{32}|AC[0-9a-f]{32}"
            r"|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|dop_v1_[a-f0-9]{64}|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"
            r"|hvs\.[A-Za-z0-9_-]{24,}|dapi[a-f0-9]{32}|key-[0-9a-zA-Z]{32})\b"
        ),
        "[REDACTED:vendor_token]",
    ),
    (
        "webhook_url",
        ("hooks.slack.com", "webhook.office.com", "discord.com/api/webhooks", "logic.azure.com"),
        re.compile(
            r"(?i)\b(https://(?:hooks\.slack\.com/(?:services|workflows)|[a-z0-9.-]*webhook\.office\.com/webhookb2"
            r"|discord(?:app)?\.com/api/webhooks))/[^\s\"'<>]+"
        ),
        r"\1/[REDACTED:webhook_url]",
    ),
    (
        "azure_key",
        ("accountkey", "sharedaccesskey"),
        re.compile(r"(?i)\b((?:AccountKey|SharedAccessKey)=)(?!\[REDACTED)[^;\s\"']+"),
        r"\1[REDACTED:azure_key]",
    ),
)


def redact_text(text: str, hits: Counter[str]) -> str:
    lowered = text.lower()
    for name, needles, pattern, replacement in _RULES:
        if needles is not None and not any(n in lowered for n in needles):
            continue
        new, count = pattern.subn(replacement, text)
        if new != text:
            hits[name] += count if not callable(replacement) else _changed(pattern, replacement, text)
            text = new
            lowered = text.lower()
    return text


def _changed(pattern: re.Pattern[str], replacement: Callable[[re.Match[str]], str], text: str) -> int:
    return sum(1 for m in pattern.finditer(text) if replacement(m) != m[0])


def redact_tree(value: Any, hits: Counter[str]) -> Any:
    """Redact every string in a JSON-like tree (dict keys are left alone)."""
    if isinstance(value, str):
        return redact_text(value, hits)
    if isinstance(value, dict):
        return {k: redact_tree(v, hits) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v, hits) for v in value]
    return value
