"""marshmallow's own validation messages in Vietnamese, for every service: the people who read
them (counter officers, post-office clerks, citizens on the desk's pages) read Vietnamese.
Error codes and field names stay English: programs rely on them.

marshmallow reads its messages when a field or a validator is built, that is when a schema
module is imported: this module is imported by `services/common/__init__.py`, which every
schema module imports first (a test checks each one in a fresh interpreter). Fields read
each class's `default_error_messages` along their class hierarchy; validators their
`default_message` / `message_*` class attributes; schemas `Schema.error_messages` (the
documented override of the schema-level messages). marshmallow ships no translations and
its i18n add-on has no Vietnamese, so the texts are set here, keyed as marshmallow 4 keys
them, keeping its format variables ({min}, {max}, {choices}, ...).
"""
from marshmallow import Schema, fields, validate

NOT_AN_OBJECT = "Phải là một đối tượng JSON."
SPECIAL_NUMBER = "Không nhận giá trị đặc biệt (NaN, vô cực)."

FIELD_MESSAGES = {
    fields.Field: {"required": "Trường này là bắt buộc.",
                   "null": "Trường này không được để trống (null).",
                   "validator_failed": "Giá trị không hợp lệ."},
    fields.Nested: {"type": NOT_AN_OBJECT},
    fields.List: {"invalid": "Phải là một danh sách ([...])."},
    fields.Tuple: {"invalid": "Phải là một danh sách ([...]) đúng số phần tử."},
    fields.String: {"invalid": "Phải là một chuỗi văn bản.",
                    "invalid_utf8": "Văn bản không đúng mã UTF-8."},
    fields.UUID: {"invalid_uuid": "Mã định danh (UUID) không hợp lệ."},
    fields.Number: {"invalid": "Phải là một số.", "too_large": "Số quá lớn."},
    fields.Integer: {"invalid": "Phải là một số nguyên."},
    fields.Float: {"special": SPECIAL_NUMBER},
    fields.Decimal: {"special": SPECIAL_NUMBER},
    fields.Boolean: {"invalid": "Phải là true hoặc false."},
    fields.DateTime: {
        "invalid": "Thời điểm không hợp lệ (dạng 2026-03-02T08:30:00+07:00).",
        "invalid_awareness": "Thời điểm không hợp lệ.",
        "format": "Không viết được \"{input}\" thành thời điểm."},
    fields.NaiveDateTime: {
        "invalid_awareness": "Thời điểm không được kèm múi giờ (dạng 2026-03-02T08:30:00)."},
    fields.AwareDateTime: {
        "invalid_awareness": "Thời điểm phải kèm múi giờ (dạng 2026-03-02T08:30:00+07:00)."},
    # Date and Time inherit a time-zone message they never use: set all the same.
    fields.Time: {"invalid": "Giờ không hợp lệ (dạng 08:30:00).",
                  "invalid_awareness": "Giờ không hợp lệ.",
                  "format": "Không viết được \"{input}\" thành giờ."},
    fields.Date: {"invalid": "Ngày không hợp lệ (dạng năm-tháng-ngày: 2026-03-02).",
                  "invalid_awareness": "Ngày không hợp lệ.",
                  "format": "Không viết được \"{input}\" thành ngày."},
    fields.TimeDelta: {"invalid": "Khoảng thời gian không hợp lệ.",
                       "format": "Không viết được {input!r} thành khoảng thời gian."},
    fields.Mapping: {"invalid": NOT_AN_OBJECT},
    fields.Url: {"invalid": "Địa chỉ URL không hợp lệ."},
    fields.Email: {"invalid": "Địa chỉ email không hợp lệ."},
    fields.IP: {"invalid_ip": "Địa chỉ IP không hợp lệ."},
    fields.IPv4: {"invalid_ip": "Địa chỉ IPv4 không hợp lệ."},
    fields.IPv6: {"invalid_ip": "Địa chỉ IPv6 không hợp lệ."},
    fields.IPInterface: {"invalid_ip_interface": "Giao diện mạng IP không hợp lệ."},
    fields.IPv4Interface: {"invalid_ip_interface": "Giao diện mạng IPv4 không hợp lệ."},
    fields.IPv6Interface: {"invalid_ip_interface": "Giao diện mạng IPv6 không hợp lệ."},
    fields.Enum: {"unknown": "Phải là một trong các giá trị: {choices}."},
}

VALIDATOR_MESSAGES = {
    validate.URL: {"default_message": "Địa chỉ URL không hợp lệ."},
    validate.Email: {"default_message": "Địa chỉ email không hợp lệ."},
    # Range puts its comparison words into its messages, hence the doubled braces.
    validate.Range: {"message_min": "Phải {min_op} {{min}}.",
                     "message_max": "Phải {max_op} {{max}}.",
                     "message_all": "Phải {min_op} {{min}} và {max_op} {{max}}.",
                     "message_gte": "lớn hơn hoặc bằng", "message_gt": "lớn hơn",
                     "message_lte": "nhỏ hơn hoặc bằng", "message_lt": "nhỏ hơn"},
    # Length of a text; a list's is ItemCount below.
    validate.Length: {"message_min": "Phải có ít nhất {min} ký tự.",
                      "message_max": "Không được dài quá {max} ký tự.",
                      "message_all": "Phải có từ {min} đến {max} ký tự.",
                      "message_equal": "Phải có đúng {equal} ký tự."},
    validate.Equal: {"default_message": "Phải bằng {other}."},
    validate.Regexp: {"default_message": "Không đúng định dạng."},
    validate.Predicate: {"default_message": "Giá trị không hợp lệ."},
    validate.NoneOf: {"default_message": "Giá trị không hợp lệ."},
    validate.OneOf: {"default_message": "Phải là một trong các giá trị: {choices}."},
    validate.ContainsOnly: {"default_message": "Chỉ được chọn trong các giá trị: {choices}."},
    validate.ContainsNoneOf: {"default_message": "Không được chọn các giá trị: {values}."},
}

SCHEMA_MESSAGES = {
    "type": NOT_AN_OBJECT,
    "unknown": "Không nhận trường này: nó không có trong mẫu dữ liệu.",
}


class ItemCount(validate.Length):
    """How many items a list has (validate.Length speaks of characters)."""

    message_min = "Phải có ít nhất {min} mục."
    message_max = "Không được quá {max} mục."
    message_all = "Phải có từ {min} đến {max} mục."
    message_equal = "Phải có đúng {equal} mục."


def use_vietnamese():
    for field_class, messages in FIELD_MESSAGES.items():
        own = field_class.__dict__.get("default_error_messages", {})
        field_class.default_error_messages = {**own, **messages}
    for validator_class, messages in VALIDATOR_MESSAGES.items():
        for name, text in messages.items():
            setattr(validator_class, name, text)
    Schema.error_messages = {**Schema.error_messages, **SCHEMA_MESSAGES}


use_vietnamese()
