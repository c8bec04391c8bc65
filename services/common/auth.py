"""Bearer tokens: JWT (HS256) signed with TOKEN_SECRET, carrying a role and its scope."""
import time
import uuid
from dataclasses import dataclass

import jwt

ROLE_SCOPES = {
    # a counter officer belongs to a one-stop center (`center`); one an agency stationed there
    # also carries that agency (`department`) and receives its procedures only, one of the
    # center's own staff carries none and receives any procedure of the province (Decree
    # 118/2025 art. 20); a token without a center is of an officer of the provincial center
    "counter_officer": "center_or_department",
    "department_officer": "department",
    "leader": "department",
    "postal_clerk": "post_office",
    "manager": None,
    "portal": None,
    # the applicant, for one dossier (`dossier`: its code), once the desk has checked the
    # lookup secret with routing: a few minutes, to see and pay that dossier's fees
    "citizen": "dossier",
}
# The roles as the people who hold them are called (the codes stay in tokens and answers).
ROLE_NAMES = {
    "counter_officer": "công chức một cửa",
    "department_officer": "chuyên viên sở, ngành",
    "leader": "lãnh đạo sở, ngành",
    "postal_clerk": "nhân viên bưu điện",
    "manager": "lãnh đạo trung tâm",
    "portal": "Cổng Dịch vụ công quốc gia",
    "citizen": "người nộp hồ sơ",
}
MIN_SECRET_LENGTH = 32
LOG_IN_AGAIN = "hãy đăng nhập lại."
DEFAULT_TTL_SECONDS = 8 * 3600  # one working day


class AuthError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Principal:
    role: str
    subject: str
    department: str | None = None
    post_office: str | None = None
    center: str | None = None
    dossier: str | None = None  # a citizen's: the one dossier the token opens

    @property
    def center_staff(self):
        """A counter officer of the center's own staff, not stationed by an agency."""
        return self.role == "counter_officer" and self.department is None


def check_secret(secret):
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"TOKEN_SECRET must be set to at least {MIN_SECRET_LENGTH} characters "
            "(it signs every bearer token)"
        )
    return secret


def issue_token(secret, role, department=None, post_office=None, subject=None,
                ttl=DEFAULT_TTL_SECONDS, center=None, dossier=None):
    if role not in ROLE_SCOPES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLE_SCOPES)}")
    scope = ROLE_SCOPES[role]
    claims = {"role": role, "sub": subject or f"{role}-{uuid.uuid4().hex[:8]}"}
    if scope == "center_or_department":
        if not (department or center):
            raise ValueError(f"role {role} needs --center, --department or both")
        claims.update({k: v for k, v in (("department", department), ("center", center)) if v})
    if scope == "department":
        if not department:
            raise ValueError(f"role {role} needs --department")
        claims["department"] = department
    if scope == "post_office":
        if not post_office:
            raise ValueError(f"role {role} needs --post-office")
        claims["post_office"] = post_office
    if scope == "dossier":
        if not dossier:
            raise ValueError(f"role {role} needs --dossier")
        claims["dossier"] = dossier
    now = int(time.time())
    claims.update(iat=now, exp=now + int(ttl))
    return jwt.encode(claims, check_secret(secret), algorithm="HS256")


# An officer's token comes with every request of the day: its signature is checked once and
# the result kept (expiry is still checked on every request). Bounded: emptied when full.
_verified = {}
MAX_VERIFIED_TOKENS = 10_000


def authenticate(secret, authorization_header):
    """The caller's Principal from an `Authorization: Bearer ...` header, or AuthError(401)."""
    if not authorization_header or not authorization_header.startswith("Bearer "):
        raise AuthError(401, "Chưa đăng nhập: thiếu mã xác thực (tiêu đề "
                             "Authorization: Bearer <mã>).")
    token = authorization_header[len("Bearer "):].strip()
    known = _verified.get((secret, token))
    if known is not None:
        principal, expires = known
        if time.time() < expires:
            return principal
        raise AuthError(401, f"Phiên đăng nhập đã hết hạn; {LOG_IN_AGAIN}")
    principal, expires = _verify(secret, token)
    if len(_verified) >= MAX_VERIFIED_TOKENS:
        _verified.clear()
    _verified[(secret, token)] = (principal, expires)
    return principal


def _verify(secret, token):
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp", "role", "sub"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError(401, f"Phiên đăng nhập đã hết hạn; {LOG_IN_AGAIN}") from exc
    except jwt.InvalidTokenError as exc:
        raise AuthError(401, f"Mã xác thực không hợp lệ; {LOG_IN_AGAIN}") from exc
    if claims["role"] not in ROLE_SCOPES:
        raise AuthError(401, f"Mã xác thực mang vai trò không có trong hệ thống; {LOG_IN_AGAIN}")
    principal = Principal(
        role=claims["role"],
        subject=claims["sub"],
        department=claims.get("department"),
        post_office=claims.get("post_office"),
        center=claims.get("center"),
        dossier=claims.get("dossier"),
    )
    if ROLE_SCOPES[principal.role] == "dossier" and not principal.dossier:
        raise AuthError(401, f"Mã xác thực không hợp lệ; {LOG_IN_AGAIN}")
    return principal, claims["exp"]


def require_role(principal, *roles):
    if principal.role not in roles:
        allowed = ", ".join(ROLE_NAMES.get(role, role) for role in roles)
        raise AuthError(403, f"Vai trò {ROLE_NAMES.get(principal.role, principal.role)} không "
                             f"được làm việc này (chỉ dành cho: {allowed}).")
