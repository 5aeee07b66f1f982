//! The change events feed: a consumer that catches up after downtime gets every event once, in commit order.

use reqwest::StatusCode;

use meshport_shared::ErrorCode;
use meshport_shared::events::{EventFeed, EventKind};

use crate::common::{TestApp, Who, product};

async fn spawn() -> TestApp {
    TestApp::spawn(&[("MESHPORT_DEV_AUTH", "true".into()), ("MESHPORT_PORTAL_URL", "https://mesh.acme.example".into())])
        .await
}

/// Reads the feed from `after` to its end, `page` events a call, as a consumer would: the events and the cursor.
async fn catch_up(app: &TestApp, mut after: u64, page: usize) -> (Vec<String>, u64) {
    let mut seen = Vec::new();
    loop {
        let response = app.as_(Who::Owner).events(after, page).await;
        assert_eq!(response.status(), StatusCode::OK);
        let feed: EventFeed = response.json().await.unwrap();
        if feed.events.is_empty() {
            assert_eq!(feed.next, after, "an empty page leaves the cursor where it was");
            return (seen, after);
        }
        for event in &feed.events {
            event.check().unwrap();
            assert_eq!(event.source, "https://mesh.acme.example", "events name the deployment");
            assert_eq!(event.kind, EventKind::ProductUpdated);
            seen.push(format!("{}:{}", event.id, event.subject));
        }
        after = feed.next;
    }
}

#[tokio::test]
async fn a_consumer_catching_up_after_changes_gets_each_once_in_commit_order() {
    let app = spawn().await;
    for id in ["alpha", "bravo", "charlie", "delta", "echo"] {
        app.seed(product(id, "membership")).await;
    }

    let (first, cursor) = catch_up(&app, 0, 2).await;
    for id in ["foxtrot", "golf", "hotel"] {
        app.seed(product(id, "membership")).await;
    }
    let (second, end) = catch_up(&app, cursor, 2).await;

    assert_eq!(first, ["1:alpha", "2:bravo", "3:charlie", "4:delta", "5:echo"]);
    assert_eq!(second, ["6:foxtrot", "7:golf", "8:hotel"], "after downtime, exactly the events missed");
    assert_eq!((cursor, end), (5, 8));
}

#[tokio::test]
async fn the_feed_is_for_members_only_and_refuses_a_bad_limit() {
    let app = spawn().await;

    let anonymous = app.anonymous().events(0, 10).await;
    let too_many = app.as_(Who::Owner).events(0, 501).await;
    let negative = app.as_(Who::Owner).get("/api/v1/events?after=-1").await;

    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "even where reads are public");
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
    assert_eq!(too_many.json::<meshport_shared::ApiError>().await.unwrap().code, ErrorCode::BadRequest);
    assert_eq!(negative.status(), StatusCode::BAD_REQUEST);
}
