"""Function-calling parameter schemas in the style of OpenAI tool definitions.

Written for this project (no third-party text): the shapes that tool-using clients send as
`tools[].function.parameters` — strict-mode objects (every property required,
`additionalProperties: false`, nullable as `["T", "null"]`), enums, nested objects, arrays of
objects, `$defs` with `$ref`, `anyOf` unions and bounded strings/numbers. Used by
scripts/make_schema_corpus.py.
"""


def obj(props, required=None, strict=True, **extra):
    """An object schema; strict mode requires every property and forbids others."""
    out = {"type": "object", "properties": props}
    out["required"] = list(props) if required is None else required
    if strict:
        out["additionalProperties"] = False
    out.update(extra)
    return out


S = {"type": "string"}
I = {"type": "integer"}
N = {"type": "number"}
B = {"type": "boolean"}


def s(desc, **kw):
    return {"type": "string", "description": desc, **kw}


def enum(*values, desc=None):
    out = {"type": "string", "enum": list(values)}
    if desc:
        out["description"] = desc
    return out


def nullable(t, desc):
    return {"type": [t, "null"], "description": desc}


FUNCTIONS = [
    ("get_weather", obj({"location": s("City and country, e.g. Paris, France"),
                         "unit": enum("celsius", "fahrenheit")})),
    ("get_current_time", obj({"timezone": s("IANA timezone name", pattern="^[A-Za-z]+/[A-Za-z_]+$")})),
    ("search_web", obj({"query": s("Search query", minLength=1, maxLength=200),
                        "max_results": {"type": "integer", "minimum": 1, "maximum": 10},
                        "site": nullable("string", "Restrict to this domain")})),
    ("send_email", obj({"to": {"type": "array", "items": {"type": "string", "format": "email"}, "minItems": 1},
                        "subject": s("Subject line", maxLength=120),
                        "body": s("Plain-text body"),
                        "cc": {"type": ["array", "null"], "items": {"type": "string", "format": "email"}}})),
    ("create_calendar_event", obj({"title": S, "start": s("Start", format="date-time"),
                                   "end": s("End", format="date-time"),
                                   "attendees": {"type": "array", "items": obj({"email": {"type": "string", "format": "email"},
                                                                                 "optional": B})},
                                   "location": nullable("string", "Where")})),
    ("book_flight", obj({"origin": s("IATA code", pattern="^[A-Z]{3}$"),
                         "destination": s("IATA code", pattern="^[A-Z]{3}$"),
                         "date": s("Departure date", format="date"),
                         "passengers": {"type": "integer", "minimum": 1, "maximum": 9},
                         "cabin": enum("economy", "premium_economy", "business", "first")})),
    ("convert_currency", obj({"amount": {"type": "number", "exclusiveMinimum": 0},
                              "from": s("ISO 4217", pattern="^[A-Z]{3}$"),
                              "to": s("ISO 4217", pattern="^[A-Z]{3}$")})),
    ("get_stock_price", obj({"ticker": s("Ticker", pattern="^[A-Z]{1,5}$"),
                             "exchange": {"type": "string", "enum": ["NYSE", "NASDAQ", "LSE"]}}, required=["ticker"],
                            strict=False)),
    ("run_sql_query", obj({"sql": s("A single SELECT statement"), "limit": {"type": "integer", "minimum": 1,
                                                                            "maximum": 1000}})),
    ("create_github_issue", obj({"repo": s("owner/name", pattern="^[\\w.-]+/[\\w.-]+$"), "title": S,
                                 "body": S, "labels": {"type": "array", "items": S, "maxItems": 5},
                                 "assignee": nullable("string", "GitHub login")})),
    ("extract_contact", obj({"name": S, "email": nullable("string", "Email if present"),
                             "phone": nullable("string", "Phone if present"),
                             "company": nullable("string", "Company if present")})),
    ("classify_sentiment", obj({"label": enum("positive", "negative", "neutral"),
                                "confidence": {"type": "number", "minimum": 0, "maximum": 1}})),
    ("extract_entities", obj({"entities": {"type": "array", "items": obj({
        "text": S, "type": enum("person", "organization", "location", "date", "other"),
        "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0}})}})),
    ("translate_text", obj({"text": S, "target_language": s("ISO 639-1", pattern="^[a-z]{2}$"),
                            "formality": {"anyOf": [enum("formal", "informal"), {"type": "null"}]}})),
    ("summarize_document", obj({"document_id": s("Document id", format="uuid"),
                                "length": enum("short", "medium", "long"),
                                "bullet_points": B})),
    ("set_thermostat", obj({"room": S, "temperature": {"type": "number", "minimum": 5, "maximum": 30},
                            "mode": enum("heat", "cool", "auto", "off")})),
    ("add_todo", obj({"title": s("Task", minLength=1, maxLength=80),
                      "due": nullable("string", "Due date (YYYY-MM-DD)"),
                      "priority": {"type": "integer", "enum": [1, 2, 3]},
                      "tags": {"type": "array", "items": S}})),
    ("place_order", {"type": "object", "$defs": {
        "item": obj({"sku": s("SKU", pattern="^[A-Z0-9-]{4,12}$"), "quantity": {"type": "integer", "minimum": 1}}),
        "address": obj({"street": S, "city": S, "postal_code": S, "country": s("ISO", pattern="^[A-Z]{2}$")})},
        "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/item"}, "minItems": 1},
                       "shipping_address": {"$ref": "#/$defs/address"},
                       "gift": B},
        "required": ["items", "shipping_address", "gift"], "additionalProperties": False}),
    ("lookup_customer", obj({"by": {"anyOf": [obj({"email": {"type": "string", "format": "email"}}),
                                              obj({"customer_id": {"type": "integer", "minimum": 1}})]}})),
    ("schedule_meeting", obj({"participants": {"type": "array", "items": S, "minItems": 2, "maxItems": 8},
                              "duration_minutes": {"type": "integer", "enum": [15, 30, 45, 60, 90]},
                              "earliest": s("Earliest start", format="date-time"),
                              "video": B})),
    ("get_directions", obj({"from": S, "to": S, "mode": enum("driving", "walking", "bicycling", "transit"),
                            "avoid": {"type": "array", "items": enum("tolls", "highways", "ferries")}})),
    ("create_user", obj({"username": s("Login", pattern="^[a-z][a-z0-9_]{2,15}$"),
                         "email": {"type": "string", "format": "email"},
                         "age": {"type": ["integer", "null"], "minimum": 13, "maximum": 120},
                         "roles": {"type": "array", "items": enum("admin", "editor", "viewer"), "minItems": 1}})),
    ("file_search", obj({"path": s("Directory", pattern="^/"), "glob": S, "recursive": B,
                         "max_depth": {"type": "integer", "minimum": 0, "maximum": 20}})),
    ("http_request", obj({"method": enum("GET", "POST", "PUT", "DELETE", "PATCH"),
                          "url": {"type": "string", "format": "uri"},
                          "headers": {"type": "array", "items": obj({"name": S, "value": S})},
                          "body": nullable("string", "Request body")})),
    ("render_chart", obj({"kind": enum("bar", "line", "pie", "scatter"), "title": S,
                          "series": {"type": "array", "items": obj({"label": S, "values": {"type": "array", "items": N,
                                                                                              "minItems": 1}})}})),
    ("rate_limit_config", obj({"requests_per_minute": {"type": "integer", "minimum": 1, "maximum": 10000},
                               "burst": {"type": "integer", "minimum": 0},
                               "key": enum("ip", "user", "api_key")})),
    ("geocode", obj({"address": S, "country_hint": nullable("string", "ISO country code")})),
    ("reverse_geocode", obj({"lat": {"type": "number", "minimum": -90, "maximum": 90},
                             "lon": {"type": "number", "minimum": -180, "maximum": 180}})),
    ("log_expense", obj({"amount": {"type": "number", "minimum": 0}, "currency": s("ISO", pattern="^[A-Z]{3}$"),
                         "category": enum("travel", "meals", "software", "hardware", "other"),
                         "date": {"type": "string", "format": "date"}, "note": nullable("string", "Note")})),
    ("control_lights", obj({"room": S, "on": B, "brightness": {"type": "integer", "minimum": 0, "maximum": 100},
                            "color": {"type": ["string", "null"], "pattern": "^#[0-9a-f]{6}$"}})),
    ("answer_with_sources", obj({"answer": S, "sources": {"type": "array", "items": obj({
        "url": {"type": "string", "format": "uri"}, "quote": s("Quote", maxLength=300)}), "maxItems": 5}})),
    ("parse_invoice", obj({"invoice_number": S, "issue_date": {"type": "string", "format": "date"},
                           "vendor": obj({"name": S, "vat_id": nullable("string", "VAT id")}),
                           "lines": {"type": "array", "items": obj({"description": S,
                                                                     "quantity": {"type": "number", "minimum": 0},
                                                                     "unit_price": N})},
                           "total": N})),
    ("tree_outline", {"type": "object", "$defs": {"node": {"type": "object", "properties": {
        "title": S, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 3}},
        "required": ["title", "children"], "additionalProperties": False}},
        "properties": {"root": {"$ref": "#/$defs/node"}}, "required": ["root"], "additionalProperties": False}),
    ("shell_command", obj({"command": s("Executable", pattern="^[a-z][a-z0-9_-]*$"),
                           "args": {"type": "array", "items": S, "maxItems": 10},
                           "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 600}})),
    ("update_profile", obj({"display_name": {"type": "string", "minLength": 1, "maxLength": 32},
                            "bio": {"type": ["string", "null"], "maxLength": 160},
                            "links": {"type": "array", "items": {"type": "string", "format": "uri"}, "maxItems": 3},
                            "ip_allowlist": {"type": "array", "items": {"type": "string", "format": "ipv4"}}})),
    ("vote", obj({"poll_id": {"type": "integer"}, "choice": {"enum": ["yes", "no", "abstain", None]}})),
    ("set_reminder", obj({"text": S, "at": {"type": "string", "format": "time"},
                          "repeat": {"anyOf": [enum("daily", "weekly", "weekdays"), {"type": "null"}]}})),
    ("record_measurement", obj({"sensor_id": s("Id", format="uuid"), "readings": {
        "type": "array", "prefixItems": [N, N, N], "items": False, "minItems": 3}})),
]


def function_schemas():
    """(name, schema) pairs, in a fixed order."""
    return list(FUNCTIONS)
