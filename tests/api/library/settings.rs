//! A reader's preferences (channel and categories, which steer `/categories`) and reader
//! settings (font, spacing, brightness, background, page turn).

use serde_json::json;

use crate::support::{Caller, TestApp};

crate::db_tests!(
    preferences_start_empty,
    saved_preferences_keep_each_category_once,
    unknown_categories_are_refused_and_nothing_is_half_written,
    categories_follow_the_readers_channel,
    reader_settings_start_from_defaults,
    reader_settings_are_patched_field_by_field,
    invalid_reader_settings_are_refused_and_change_nothing,
    another_readers_settings_are_their_own,
);

/// A female and a male novel (categories 现代言情 and 玄幻); the male category's id.
async fn two_channels(app: &TestApp) -> i64 {
    app.add_novels(1, 1).await;
    let male = app.novel("男频").channel("male").category("玄幻");
    male.create().await;
    let cats = app.anon().get("/categories").expect(200).await;
    let male = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "male");
    male.unwrap()["id"].as_i64().unwrap()
}

/// `hal`, who prefers the male channel and its category.
async fn hal_prefers_male(app: &TestApp) -> (Caller<'_>, i64) {
    let male_cat = two_channels(app).await;
    let hal = app.reader("hal").await;
    let prefs = json!({ "channel": "male", "category_ids": [male_cat] });
    hal.put("/me/preferences", prefs).expect(200).await;
    (hal, male_cat)
}

async fn preferences_start_empty(app: TestApp) {
    let hal = app.reader("hal").await;
    let prefs = hal.get("/me/preferences").expect(200).await;
    assert_eq!(prefs, json!({ "channel": null, "category_ids": [] }));
}

async fn saved_preferences_keep_each_category_once(app: TestApp) {
    let male_cat = two_channels(&app).await;
    let hal = app.reader("hal").await;
    let prefs = json!({ "channel": "male", "category_ids": [male_cat, male_cat] });
    let saved = hal.put("/me/preferences", prefs).expect(200).await;
    let once = json!({ "channel": "male", "category_ids": [male_cat] });
    assert_eq!(saved, once);
}

async fn unknown_categories_are_refused_and_nothing_is_half_written(app: TestApp) {
    let (hal, male_cat) = hal_prefers_male(&app).await;
    let prefs = json!({ "channel": "female", "category_ids": [male_cat, 987654] });
    let save = hal.put("/me/preferences", prefs);
    let err = save.invalid("category_ids").await;
    let message = err["details"]["category_ids"][0].as_str().unwrap();
    assert!(message.contains("987654"), "{err}");
    let robots = hal.put("/me/preferences", json!({ "channel": "robots" }));
    robots.expect_error(422, "validation_failed").await;
    let prefs = hal.get("/me/preferences").expect(200).await;
    assert_eq!(prefs["channel"], "male", "nothing half-written");
}

/// `/categories` without a channel uses the reader's channel.
async fn categories_follow_the_readers_channel(app: TestApp) {
    let (hal, _) = hal_prefers_male(&app).await;
    let mine = hal.get("/categories").expect(200).await;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|c| c["channel"] == "male")
    );
    let all = app.anon().get("/categories").expect(200).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(hal.get("/me").expect(200).await["channel"], "male");
}

async fn reader_settings_start_from_defaults(app: TestApp) {
    let hal = app.reader("hal").await;
    let defaults = hal.get("/me/reader-settings").expect(200).await;
    assert_eq!(
        defaults,
        json!({ "font_size": 18, "line_spacing": 1.5, "brightness": 80, "background": "white", "page_turn": "slide" })
    );
}

async fn reader_settings_are_patched_field_by_field(app: TestApp) {
    let hal = app.reader("hal").await;
    let patch = |body| hal.patch("/me/reader-settings", body).expect(200);
    let s = patch(json!({ "font_size": 24, "background": "night" })).await;
    assert_eq!(
        (
            s["font_size"].as_i64(),
            s["background"].as_str(),
            s["page_turn"].as_str()
        ),
        (Some(24), Some("night"), Some("slide"))
    );
    let s = patch(json!({ "page_turn": "scroll", "line_spacing": 2.0 })).await;
    assert_eq!(
        (
            s["font_size"].as_i64(),
            s["page_turn"].as_str(),
            s["line_spacing"].as_f64()
        ),
        (Some(24), Some("scroll"), Some(2.0))
    );
}

async fn invalid_reader_settings_are_refused_and_change_nothing(app: TestApp) {
    let hal = app.reader("hal").await;
    let big = json!({ "font_size": 24 });
    hal.patch("/me/reader-settings", big).expect(200).await;
    for (body, field) in [
        (json!({ "font_size": 11 }), "font_size"),
        (json!({ "font_size": 49 }), "font_size"),
        (json!({ "line_spacing": 3.5 }), "line_spacing"),
        (json!({ "brightness": -1 }), "brightness"),
        (json!({ "background": "purple" }), "background"),
        (json!({ "page_turn": "flip" }), "page_turn"),
    ] {
        hal.patch("/me/reader-settings", body).invalid(field).await;
    }
    let me = hal.get("/me").expect(200).await;
    assert_eq!(me["reader_settings"]["font_size"], 24);
}

async fn another_readers_settings_are_their_own(app: TestApp) {
    let alice = app.reader("iris").await;
    let bob = app.reader("jack").await;
    let big = json!({ "font_size": 30 });
    alice.patch("/me/reader-settings", big).expect(200).await;
    let bobs = bob.get("/me/reader-settings").expect(200).await;
    assert_eq!(bobs["font_size"], 18);
}
