"""The demo's staff accounts of the desk (make demo, make screens, tests/browser): a counter
officer the provincial police stationed at the provincial center, an officer and a leader of the provincial
police (Công an tỉnh, which issues the Phiếu lý lịch tư pháp), an officer of the Department
of Justice, a clerk of the provincial post office (which receives for the agencies that
delegated it, scripts/postal_demo.py), and the center's manager."""
DEMO_PASSWORD = "MotCua2026demo"
ACCOUNTS = (
    # stationed at the provincial center by the police: receives and returns its dossiers
    {"username": "motcua.thu", "full_name": "Nguyễn Thị Thu", "role": "counter_officer",
     "center": "trung_tam_tinh", "department": "ca"},
    {"username": "ca.an", "full_name": "Trần Văn An", "role": "department_officer",
     "department": "ca"},
    {"username": "ca.lanhdao", "full_name": "Lê Minh Đức", "role": "leader", "department": "ca"},
    {"username": "stp.binh", "full_name": "Phạm Thanh Bình", "role": "department_officer",
     "department": "stp"},
    {"username": "buudien.lan", "full_name": "Đặng Thị Lan", "role": "postal_clerk",
     "post_office": "BD-TINH"},
    {"username": "trungtam.lanhdao", "full_name": "Võ Thị Hạnh", "role": "manager"},
)


def add_demo_accounts(stack, password=DEMO_PASSWORD, keep_password=True):
    """Creates the accounts through `motcua users add` (the first password kept for the demo)."""
    stack.env["DESK_DEMO_PASSWORD"] = password
    for account in ACCOUNTS:
        scope = [arg for key in ("department", "center", "post_office") if account.get(key)
                 for arg in (f"--{key.replace('_', '-')}", account[key])]
        stack.cli("users", "add", account["username"], "--full-name", account["full_name"],
                  "--role", account["role"], *scope, "--password-env", "DESK_DEMO_PASSWORD",
                  *(["--keep-password"] if keep_password else []))
