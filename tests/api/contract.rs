//! The contract: the served OpenAPI document equals the committed `docs/openapi.json` (every
//! contract change shows up in review), its enums and error codes are typed, and unknown enum
//! values are 422s that name their field.

use std::collections::BTreeSet;
use std::path::PathBuf;

use api::error::ErrorCode;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

const UPDATE_HINT: &str = "UPDATE_OPENAPI=1 cargo test -p tests --test api contract";

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

async fn served_document() -> Value {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.root().get("/api-docs/openapi.json").expect(200).await
}

/// Object keys sorted at every level, so the committed file diffs well.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// JSON pointers where `a` and `b` differ (at most `limit`).
fn differences(a: &Value, b: &Value, at: &str, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => differences(v, w, &here, out, limit),
                    (Some(_), None) => out.push(format!("{here}: only in the committed file")),
                    (None, Some(_)) => out.push(format!("{here}: only in the served document")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                differences(v, w, &format!("{at}/{i}"), out, limit);
            }
        }
        _ => out.push(format!("{at}: {a} (committed) != {b} (served)")),
    }
}

/// The snapshot: fails when the served document differs from `docs/openapi.json`.
/// `UPDATE_OPENAPI=1` rewrites the file instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_matches_the_committed_snapshot() {
    let served = sorted(served_document().await);
    let path = docs_dir().join("openapi.json");
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &pretty).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let committed_value: Value = serde_json::from_str(&committed).unwrap_or(Value::Null);
    if committed_value != served {
        let mut diffs = Vec::new();
        differences(&committed_value, &served, "", &mut diffs, 40);
        panic!(
            "the served OpenAPI document differs from docs/openapi.json.\n\
             If the change is intended, update the snapshot and review its diff:\n    {UPDATE_HINT}\n\
             Differences (JSON pointers, at most 40):\n  {}",
            diffs.join("\n  ")
        );
    }
    assert_eq!(
        committed, pretty,
        "docs/openapi.json has the right content but not the canonical formatting; run {UPDATE_HINT}"
    );
}

/// `ErrorCode` in the document is the Rust enum, every code is in docs/api.md's table, and
/// every error example carries a code of its response's status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_codes_are_typed_documented_and_consistent() {
    let doc = served_document().await;
    let schemas = &doc["components"]["schemas"];
    let listed: Vec<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode is an enum")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, all);
    assert_eq!(
        schemas["ErrorBody"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    assert_eq!(
        schemas["ErrorBody"]["properties"]["details"]["additionalProperties"]["items"]["type"],
        "string",
        "details is a map of field → messages"
    );
    for code in ["request_timeout", "unavailable"] {
        assert!(all.contains(&code), "{code} missing");
    }

    let prose = std::fs::read_to_string(docs_dir().join("api.md")).unwrap();
    for code in ErrorCode::ALL {
        let row = format!("| `{}` | {} |", code.as_str(), code.status().as_u16());
        assert!(prose.contains(&row), "docs/api.md lacks the row {row}");
    }

    // Every response that shows error examples shows codes of its own status.
    let mut checked = 0;
    let mut check = |status: &str, response: &Value, place: &str| {
        let examples = &response["content"]["application/json"]["examples"];
        let Some(examples) = examples.as_object() else {
            return;
        };
        for (name, example) in examples {
            let code = example["value"]["code"].as_str().unwrap();
            let code = ErrorCode::parse(code).unwrap_or_else(|| panic!("unknown code {code}"));
            assert_eq!(
                code.status().as_u16().to_string(),
                status,
                "{place}: example {name} has {code} under status {status}"
            );
            checked += 1;
        }
    };
    let components = doc["components"]["responses"].as_object().unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let place = format!("{method} {path}");
                match response["$ref"].as_str() {
                    Some(r) => {
                        let name = r.trim_start_matches("#/components/responses/");
                        check(status, &components[name], &place);
                    }
                    None => check(status, response, &place),
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} examples checked");
}

/// Every operation says who may call it: `[]` (anyone), bearer only, or both; and a 401 is
/// documented exactly where a token is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_declare_their_security() {
    let doc = served_document().await;
    let optional = [
        ("get", "/api/v1/categories"),
        ("get", "/api/v1/search"),
        ("get", "/api/v1/novels/{id}"),
        ("get", "/api/v1/novels/{id}/chapters/{chapter_id}"),
    ];
    let (mut public, mut bearer) = (0, 0);
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let security = op
                .get("security")
                .unwrap_or_else(|| panic!("{method} {path} has no `security`"));
            let has_401 = op["responses"].get("401").is_some();
            if optional.contains(&(method.as_str(), path.as_str())) {
                assert_eq!(security, &json!([{}, {"bearer": []}]), "{method} {path}");
                assert!(has_401, "{method} {path}: a bad token is a 401");
            } else if security == &json!([]) {
                public += 1;
                let login = path.ends_with("/auth/login")
                    || path.ends_with("/auth/refresh")
                    || path.ends_with("/wechat-web/callback");
                assert_eq!(
                    has_401, login,
                    "{method} {path}: public, 401 only for logins"
                );
            } else {
                assert_eq!(security, &json!([{"bearer": []}]), "{method} {path}");
                assert!(has_401, "{method} {path}");
                bearer += 1;
            }
        }
    }
    assert!(
        public >= 10 && bearer >= 20,
        "{public} public, {bearer} bearer"
    );
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["servers"][0]["url"], "/");
    // Logout's body is optional.
    let body = &doc["paths"]["/api/v1/auth/logout"]["post"]["requestBody"];
    assert_eq!(body["required"], false);
    assert_eq!(
        body["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/LogoutRequest"
    );
}

/// The enum-valued fields are typed in the document, and timestamps are date-times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enum_fields_and_timestamps_are_typed() {
    let doc = served_document().await;
    let schemas = &doc["components"]["schemas"];
    let enum_of = |name: &str| -> Vec<String> {
        schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not an enum"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(enum_of("Channel"), ["male", "female"]);
    assert_eq!(enum_of("NovelStatus"), ["serial", "finished"]);
    assert_eq!(enum_of("NovelSort"), ["hot", "collect", "latest", "words"]);
    assert_eq!(enum_of("SortOrder"), ["asc", "desc"]);
    assert_eq!(
        enum_of("RankingKind"),
        ["hot", "collect", "latest", "finished"]
    );
    assert_eq!(enum_of("WordsBucket"), ["lt_500k", "500k_1m", "gt_1m"]);
    assert_eq!(
        enum_of("Background"),
        ["white", "parchment", "green", "blue", "pink", "night"]
    );
    assert_eq!(
        enum_of("PageTurn"),
        ["simulation", "slide", "scroll", "none"]
    );
    assert_eq!(
        enum_of("SearchMatch"),
        ["exact", "title", "author", "pinyin", "partial"]
    );
    let reference = |schema: &str, field: &str| -> String {
        // A flattened struct is an `allOf` whose last part has the struct's own fields.
        let own = match schemas[schema]["allOf"].as_array() {
            Some(parts) => parts.last().unwrap(),
            None => &schemas[schema],
        };
        let p = &own["properties"][field];
        let r = p["$ref"]
            .as_str()
            .or_else(|| {
                p["oneOf"]
                    .as_array()?
                    .iter()
                    .find_map(|s| s["$ref"].as_str())
            })
            .or_else(|| {
                p["allOf"]
                    .as_array()?
                    .iter()
                    .find_map(|s| s["$ref"].as_str())
            });
        r.unwrap_or_else(|| panic!("{schema}.{field} is not a reference: {p}"))
            .trim_start_matches("#/components/schemas/")
            .to_owned()
    };
    assert_eq!(reference("NovelSummary", "channel"), "Channel");
    assert_eq!(reference("NovelSummary", "status"), "NovelStatus");
    assert_eq!(reference("NovelSummary", "updated_at"), "Timestamp");
    assert_eq!(reference("User", "created_at"), "Timestamp");
    assert_eq!(reference("ReaderSettingsBody", "background"), "Background");
    assert_eq!(reference("ReaderSettingsPatch", "page_turn"), "PageTurn");
    assert_eq!(reference("SearchItem", "match"), "SearchMatch");
    assert_eq!(schemas["Timestamp"]["format"], "date-time");
    assert_eq!(
        schemas["ProgressRequest"]["properties"]["client_time"]["format"],
        "date-time"
    );
    // Query parameters too.
    let params = doc["paths"]["/api/v1/novels"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for (name, schema) in [
        ("channel", "Channel"),
        ("status", "NovelStatus"),
        ("words", "WordsBucket"),
        ("sort", "NovelSort"),
    ] {
        let p = params.iter().find(|p| p["name"] == name).unwrap();
        assert!(
            p["schema"]
                .to_string()
                .contains(&format!("schemas/{schema}")),
            "{name}: {p}"
        );
    }
}

crate::db_tests!(unknown_enum_values_name_their_field);

/// An unknown value of a typed enum is a 422 naming the field, in a query, a path or a body;
/// a value of the wrong type stays a 400 (query) or a 422 under `body` (JSON).
async fn unknown_enum_values_name_their_field(app: TestApp) {
    for (path, field, message) in [
        (
            "/novels?sort=random",
            "sort",
            "must be one of: hot, collect, latest, words",
        ),
        (
            "/novels?channel=robot",
            "channel",
            "must be one of: male, female",
        ),
        (
            "/novels?status=done",
            "status",
            "must be one of: serial, finished",
        ),
        (
            "/novels?words=1m",
            "words",
            "must be one of: lt_500k, 500k_1m, gt_1m",
        ),
        (
            "/categories?channel=x",
            "channel",
            "must be one of: male, female",
        ),
        (
            "/rankings/worst",
            "kind",
            "must be one of: hot, collect, latest, finished",
        ),
        (
            "/rankings/hot?channel=x",
            "channel",
            "must be one of: male, female",
        ),
    ] {
        let err = app.anon().get(path).invalid(field).await;
        assert_eq!(err["details"][field], json!([message]), "{path}: {err}");
    }
    let abc = app.anon().get("/novels?page=abc");
    let err = abc.expect_error(400, "bad_request").await;
    assert!(err.get("details").is_none(), "{err}");

    let reader = app.reader("contract").await;
    let patch = |body: Value| reader.patch("/me/reader-settings", body);
    let purple = patch(json!({ "background": "purple" }));
    let err = purple.invalid("background").await;
    assert_eq!(
        err["details"]["background"],
        json!(["must be one of: white, parchment, green, blue, pink, night"])
    );
    let err = patch(json!({ "page_turn": 3 })).invalid("body").await;
    assert!(err["details"]["body"][0].is_string(), "{err}");
    let robots = json!({ "channel": "robots", "category_ids": [] });
    let save = reader.put("/me/preferences", robots);
    let err = save.invalid("channel").await;
    assert_eq!(
        err["details"]["channel"],
        json!(["must be one of: male, female"])
    );
    // The typed values round-trip.
    let s = patch(json!({ "background": "night" })).expect(200).await;
    assert_eq!(
        (s["background"].as_str(), s["page_turn"].as_str()),
        (Some("night"), Some("slide"))
    );
}
