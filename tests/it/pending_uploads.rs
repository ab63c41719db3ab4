//! Files chosen for a form survive a validation error: the refused form comes back listing them
//! as kept (待提交), its next submit carries their tokens instead of the files, and the saved
//! record holds them byte for byte. Kept files belong to the account that uploaded them and
//! expire after a day, when `anze storage gc` removes them.

use anze_core::attachment::service::collect_orphans;
use anze_core::attachment::{BlobStore, OwnerKind};
use anze_core::hazard::HazardStore;
use anze_core::ids::HazardId;
use chrono::Duration;
use reqwest::StatusCode;

use crate::hazards::{accepted_order, day, hazard_form, inspect};
use crate::helpers::{PASSWORD, TestApp, location};

crate::backend_tests!(a_photo_survives_a_validation_error_and_is_saved_with_the_form,);

/// The `_pending` tokens a re-shown form carries.
fn tokens(html: &str) -> Vec<String> {
    html.split("name=\"_pending\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

/// A photo no other test sends (its bytes are compared after the save).
fn photo() -> Vec<u8> {
    let mut png = crate::helpers::png();
    png.extend_from_slice(b"kept-across-a-refusal");
    png
}

async fn a_photo_survives_a_validation_error_and_is_saved_with_the_form(app: TestApp) {
    let agency = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, agency.order, &day(&app, 0), &agency.staff).await;
    let page = format!("{record}/hazards/new");
    let action = format!("{record}/hazards");
    let deadline = day(&app, 10);
    let mut fields = hazard_form("消防通道堆放杂物", "general", &deadline);
    fields.retain(|(k, _)| *k != "description");
    fields.push(("description", ""));

    // Refused for the empty description: the photo is kept and listed, checked.
    let res = app
        .post_multipart_files(
            &staff,
            &page,
            &action,
            &fields,
            &[("before", "通道.png", photo())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("请填写隐患描述"), "{html}");
    let kept = tokens(&html);
    assert_eq!(kept.len(), 1, "one kept photo");
    assert!(html.contains("通道.png") && html.contains("已上传,提交时一并保存"));

    // Another account cannot use the token: the photo it names is not there for it.
    let other = app.login("hz_admin", PASSWORD).await;
    let mut complete = hazard_form("消防通道堆放杂物", "general", &deadline);
    complete.push(("_pending", kept[0].as_str()));
    let res = app
        .post_multipart_files(&other, &page, &action, &complete, &[])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("整改前照片"),
        "the photo is still missing for another account"
    );
    assert!(tokens(&html).is_empty());

    // Refused a second time with the token: the photo is kept again, under the same token.
    let res = app
        .post_multipart_files(
            &staff,
            &page,
            &action,
            &[fields.clone(), vec![("_pending", kept[0].as_str())]].concat(),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        tokens(&res.text().await.unwrap()),
        kept,
        "still kept after a second refusal"
    );

    // Sent again with the token and no file: saved with the photo as uploaded.
    let res = app
        .post_multipart_files(&staff, &page, &action, &complete, &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let hazard: HazardId = location(&res)
        .trim_start_matches("/hazards/")
        .parse()
        .unwrap();
    let stored = app.db.get_hazard(hazard).await.unwrap().unwrap();
    let files = anze_core::attachment::AttachmentStore::attachments_of(
        &app.db,
        OwnerKind::Hazard,
        &[stored.id.0],
    )
    .await
    .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].original_name, "通道.png");
    let bytes = app
        .blobs
        .read_to_vec(&files[0].storage_key, 1 << 20)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bytes, photo(), "the original, byte for byte");
    // Claimed once: the token does not bring the photo a second time.
    let res = app
        .post_multipart_files(&staff, &page, &action, &complete, &[])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Two submits at once with one kept photo (a double tap): one saves it, the other finds it
    // gone and is refused for the missing photo.
    let refuse = |name: &'static str| {
        let (app, staff, page, action, fields) = (&app, &staff, &page, &action, &fields);
        async move {
            let photo = [("before", name, crate::helpers::png())];
            app.post_multipart_files(staff, page, action, fields, &photo)
                .await
        }
    };
    let token = tokens(&refuse("双击.png").await.text().await.unwrap()).remove(0);
    let mut twice = hazard_form("配电箱门缺失", "general", &deadline);
    twice.push(("_pending", token.as_str()));
    let (a, b) = tokio::join!(
        app.post_multipart_files(&staff, &page, &action, &twice, &[]),
        app.post_multipart_files(&staff, &page, &action, &twice, &[]),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY],
        "the photo is saved once"
    );

    // A kept photo nobody comes back for expires, and gc then removes it.
    let res = refuse("遗留.png").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(tokens(&res.text().await.unwrap()).len(), 1);
    let now = app.clock_now();
    let report = collect_orphans(&app.db, &*app.blobs, now).await.unwrap();
    assert!(report.removed.is_empty(), "kept files are not orphans");
    let later = now + Duration::hours(25);
    let report = collect_orphans(&app.db, &*app.blobs, later).await.unwrap();
    assert!(
        !report.removed.is_empty(),
        "the expired kept photo is collected"
    );
    // The saved photo stays.
    assert!(
        app.blobs
            .read_to_vec(&files[0].storage_key, 1 << 20)
            .await
            .unwrap()
            .is_some()
    );
}
