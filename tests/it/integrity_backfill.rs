//! `anze integrity backfill`: photos stored before uploads were fingerprinted get the same
//! fingerprint an upload computes, once.

use anze_core::attachment::{AttachmentStore, OwnerKind};

use crate::hazards::{accepted_order, day, hazard_form, inspect, new_hazard};
use crate::helpers::{PASSWORD, TestApp};

crate::backend_tests!(photos_stored_before_fingerprints_get_them_once);

async fn photos_stored_before_fingerprints_get_them_once(app: TestApp) {
    let a = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, a.order, &day(&app, 0), &a.staff).await;
    let deadline = day(&app, 10);
    let hazard: i64 = new_hazard(
        &app,
        &staff,
        &record,
        &hazard_form("配电箱未接地", "general", &deadline),
    )
    .await
    .trim_start_matches("/hazards/")
    .parse()
    .unwrap();
    let photo = app
        .db
        .attachments_of(OwnerKind::Hazard, &[hazard])
        .await
        .unwrap()
        .pop()
        .unwrap();
    let uploaded = photo.phash.expect("an upload is fingerprinted");

    // As stored before fingerprints existed.
    app.db
        .execute_unprepared(
            "UPDATE attachments SET phash = NULL, phash_alg = NULL, phash_b0 = NULL, \
             phash_b1 = NULL, phash_b2 = NULL, phash_b3 = NULL",
        )
        .await
        .unwrap();
    let mut batches = 0;
    let done =
        anze::integrity::backfill(&app.db, app.blobs.as_ref(), 1, 30 << 20, |_| batches += 1)
            .await
            .unwrap();
    assert_eq!(done.hashed, 1, "{done:?}");
    assert_eq!(batches, 1);
    let again = app.db.get_attachment(photo.id).await.unwrap().unwrap();
    assert_eq!(
        again.phash,
        Some(uploaded),
        "the same fingerprint as at upload"
    );
    // Done is done: a second run visits nothing.
    let second = anze::integrity::backfill(&app.db, app.blobs.as_ref(), 10, 30 << 20, |_| {})
        .await
        .unwrap();
    assert_eq!((second.hashed, second.without), (0, 0));
}
