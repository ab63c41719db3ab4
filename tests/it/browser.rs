//! Browser tests: headless Chromium driven through chromedriver, clicking through the pages the
//! way the user manual describes them, with the real JavaScript of `static/app.js`.
//!
//! They run only when `ANZE_TEST_BROWSER=1`; otherwise the harness reports them as ignored.
//! `ANZE_CHROMEDRIVER` and `ANZE_CHROMIUM` override where the two programs live (default:
//! `chromedriver` on the `PATH` and `/usr/bin/chromium`).

use crate::helpers::{ADMIN_PASSWORD, Backend, PASSWORD, TestApp};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

crate::browser_tests!(
    admin_creates_an_account_and_a_role_and_the_account_sees_only_its_menus,
    user_changes_password_with_the_pencil_and_deletes_an_account_after_confirming,
    user_changes_own_password_and_logs_in_again,
);

/// How long a page may take to show what the test expects.
pub(crate) const WAIT: Duration = Duration::from_secs(15);
/// How long chromedriver may take to start answering.
const DRIVER_START: Duration = Duration::from_secs(20);

const NEW_PASSWORD: &str = "Newpassw0rd8";

/// A fresh application and a fresh browser: what `browser_tests!` hands each test.
pub(crate) async fn start() -> (TestApp, Browser) {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = Browser::open(&app).await;
    (app, browser)
}

// ---------------------------------------------------------------------------------------------
// The manual, one chapter per test.
// ---------------------------------------------------------------------------------------------

/// 角色管理 → 新增 → 账号管理 → 新增, then the new account logs in and sees only what its role
/// grants.
async fn admin_creates_an_account_and_a_role_and_the_account_sees_only_its_menus(
    app: TestApp,
    b: Browser,
) {
    app.seed_org("agency", "浏览器测试机构", "b_agency_admin")
        .await;

    // 平台管理员登录,在“机构管理”中可以看到该技术服务机构。
    b.login("admin", ADMIN_PASSWORD).await;
    b.open_menu("机构管理").await;
    b.see_row("浏览器测试机构").await;
    b.logout().await;

    // 机构管理员登录,进入“角色管理”,点击“新增”。
    b.login("b_agency_admin", PASSWORD).await;
    b.open_menu("角色管理").await;
    b.click_link("新增").await;
    b.wait_title("角色信息").await;
    b.fill("#name", "账号专员").await;

    // 勾选菜单“账号管理”即勾选其下全部四项操作,其他菜单不受影响。
    let account_actions = [
        "account:view",
        "account:create",
        "account:edit",
        "account:delete",
    ];
    for code in account_actions {
        assert!(!b.permission(code).await.is_selected().await.unwrap());
    }
    let menu_box = b.menu_toggle("account:view").await;
    menu_box.click().await.unwrap();
    for code in account_actions {
        assert!(
            b.permission(code).await.is_selected().await.unwrap(),
            "ticking the 账号管理 menu box should tick {code}"
        );
    }
    assert!(menu_box.is_selected().await.unwrap());
    assert!(!b.permission("role:view").await.is_selected().await.unwrap());

    // 去掉其中一项(删除)后,菜单框变为“部分选中”。
    b.permission("account:delete").await.click().await.unwrap();
    assert!(!menu_box.is_selected().await.unwrap());
    assert_eq!(
        menu_box.prop("indeterminate").await.unwrap().as_deref(),
        Some("true"),
        "a menu box with some of its actions ticked should be half-checked"
    );
    b.press("提交").await;
    b.wait_flash("操作成功,已新增").await;
    b.see_row("账号专员").await;

    // 进入“账号管理”,点击“新增”,填写登录账号、姓名、密码并勾选刚才的角色。
    b.open_menu("账号管理").await;
    b.click_link("新增").await;
    b.wait_title("账号信息").await;
    b.fill("#username", "b_clerk").await;
    b.fill("#name", "王小明").await;
    b.fill("#password", PASSWORD).await;
    b.role_box("账号专员").await.click().await.unwrap();
    b.press("提交").await;
    b.wait_flash("操作成功,已新增").await;
    b.see_row("b_clerk").await;
    b.logout().await;

    // 新账号登录:左侧菜单只有被授权的“账号管理”。
    b.login("b_clerk", PASSWORD).await;
    assert_eq!(b.user_name().await, "王小明(b_clerk)");
    let menus = b.menu_labels().await;
    assert!(menus.iter().any(|m| m == "账号管理"), "menus: {menus:?}");
    for hidden in ["角色管理", "机构管理", "操作日志", "登录日志"] {
        assert!(
            !menus.iter().any(|m| m == hidden),
            "{hidden} should not be in the menu of b_clerk: {menus:?}"
        );
    }
    b.open_menu("账号管理").await;
    b.see_row("b_agency_admin").await;

    b.close().await;
}

/// The pencil on 账号编辑 opens the password field; 删除 asks in a dialog first.
async fn user_changes_password_with_the_pencil_and_deletes_an_account_after_confirming(
    app: TestApp,
    b: Browser,
) {
    app.seed_org("agency", "铅笔测试机构", "c_admin").await;
    let id = app.seed_account("c_admin", "c_staff", "服务人员").await;

    // 管理员打开账号的编辑页:密码不显示,只有一支铅笔。
    b.login("c_admin", PASSWORD).await;
    b.visit(&format!("/accounts/{id}")).await;
    b.wait_title("账号编辑").await;
    let password = b.find_css("#password").await;
    assert!(!password.is_displayed().await.unwrap());
    assert!(!password.is_enabled().await.unwrap());

    // 点击铅笔,密码框出现;输入新密码后提交。
    b.find_css("[data-reveal]").await.click().await.unwrap();
    b.wait_css("#password-edit:not([hidden])").await;
    assert!(password.is_displayed().await.unwrap());
    assert!(password.is_enabled().await.unwrap());
    assert!(
        !b.find_css("#password-static")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    password.send_keys(NEW_PASSWORD).await.unwrap();
    b.press("提交").await;
    b.wait_flash("操作成功,已保存").await;
    b.logout().await;

    // 该账号此后只能用新密码登录。
    let error = b.login_fails("c_staff", PASSWORD).await;
    assert!(!error.is_empty());
    b.login("c_staff", NEW_PASSWORD).await;
    b.logout().await;

    // 管理员在“账号管理”中点击该账号的“删除”:弹出对话框,写明要删除的账号。
    b.login("c_admin", PASSWORD).await;
    b.open_menu("账号管理").await;
    b.see_row("c_staff").await;
    b.delete_button_of("c_staff").await.click().await.unwrap();
    b.wait_css("dialog#confirm-dialog[open]").await;
    let message = b.find_css("#confirm-message").await.text().await.unwrap();
    assert!(
        message.contains("c_staff") && message.contains("c_staff的姓名"),
        "the dialog should name the account: {message}"
    );

    // 点“取消”:对话框关闭,账号还在。
    b.find_xpath("//dialog[@id='confirm-dialog']//button[normalize-space()='取消']")
        .await
        .click()
        .await
        .unwrap();
    b.wait_css("dialog#confirm-dialog:not([open])").await;
    assert_eq!(b.path().await, "/accounts");
    b.see_row("c_staff").await;
    assert!(b.flash_now().await.is_none());

    // 再点“删除”并点“确定”:提示操作成功,列表中不再有该账号。
    b.delete_button_of("c_staff").await.click().await.unwrap();
    b.wait_css("dialog#confirm-dialog[open]").await;
    b.find_css("#confirm-ok").await.click().await.unwrap();
    b.wait_flash("操作成功,已删除").await;
    b.no_row("c_staff").await;
    b.see_row("c_admin").await;

    b.close().await;
}

/// 修改密码 in the top bar: the user is sent to the login page and logs in with the new password.
async fn user_changes_own_password_and_logs_in_again(app: TestApp, b: Browser) {
    app.seed_org("agency", "改密测试机构", "d_admin").await;

    // 登录后点击右上角“修改密码”。
    b.login("d_admin", PASSWORD).await;
    b.click_link("修改密码").await;
    b.wait_title("修改密码").await;

    // 两次输入的新密码不一致时,页面指出错误。
    b.fill("#current_password", PASSWORD).await;
    b.fill("#new_password", NEW_PASSWORD).await;
    b.fill("#confirm_password", "Different9x").await;
    b.press("确认").await;
    b.wait_xpath("//div[@class='field-error'][contains(., '两次输入的新密码不一致')]")
        .await;

    // 正确填写后点击“确认”:回到登录页,提示使用新密码登录。
    b.fill("#current_password", PASSWORD).await;
    b.fill("#new_password", NEW_PASSWORD).await;
    b.fill("#confirm_password", NEW_PASSWORD).await;
    b.press("确认").await;
    b.wait_css(".login-form").await;
    b.wait_flash("密码已修改,请使用新密码登录").await;
    assert_eq!(b.path().await, "/login");

    // 旧密码不能再登录,新密码可以。
    b.login_fails("d_admin", PASSWORD).await;
    b.login("d_admin", NEW_PASSWORD).await;
    assert_eq!(b.user_name().await, "改密测试机构管理员(d_admin)");

    b.close().await;
}

// ---------------------------------------------------------------------------------------------
// The browser: what a user can do on a page, each step waiting (bounded) for its result.
// ---------------------------------------------------------------------------------------------

pub(crate) struct Browser {
    pub(crate) client: Client,
    base: String,
    // Dropped after `client`: ends chromedriver and the browser it started.
    _driver: Driver,
}

impl Browser {
    async fn open(app: &TestApp) -> Browser {
        Browser::open_at(&app.url("")).await
    }

    /// A browser whose pages are under `base` (`http://host:port`), e.g. a proxy in front of
    /// the application.
    pub(crate) async fn open_at(base: &str) -> Browser {
        let driver = Driver::start().await;
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_binary(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", driver.profile().display()),
                ],
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url())
            .await
            .unwrap_or_else(|e| panic!("chromedriver would not start a browser session: {e}"));
        Browser {
            client,
            base: base.trim_end_matches('/').to_string(),
            _driver: driver,
        }
    }

    /// Ends the session politely; the driver goes when `self` is dropped.
    pub(crate) async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// Where the browser is and what it shows, for failure messages.
    pub(crate) async fn context(&self) -> String {
        let url = match self.client.current_url().await {
            Ok(u) => u.to_string(),
            Err(e) => format!("(unknown: {e})"),
        };
        let text = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(e) => format!("(no body: {e})"),
        };
        let text: String = text.chars().take(2000).collect();
        format!("at {url}, the page shows:\n{text}")
    }

    async fn wait_for(&self, what: &str, locator: Locator<'_>) -> Element {
        match self.client.wait().at_most(WAIT).for_element(locator).await {
            Ok(e) => e,
            Err(e) => panic!("waited for {what}: {e}\n{}", self.context().await),
        }
    }

    pub(crate) async fn wait_css(&self, css: &str) -> Element {
        self.wait_for(css, Locator::Css(css)).await
    }

    pub(crate) async fn wait_xpath(&self, xpath: &str) -> Element {
        self.wait_for(xpath, Locator::XPath(xpath)).await
    }

    async fn find(&self, what: &str, locator: Locator<'_>) -> Element {
        match self.client.find(locator).await {
            Ok(e) => e,
            Err(e) => panic!("no {what}: {e}\n{}", self.context().await),
        }
    }

    pub(crate) async fn find_css(&self, css: &str) -> Element {
        self.find(css, Locator::Css(css)).await
    }

    pub(crate) async fn find_xpath(&self, xpath: &str) -> Element {
        self.find(xpath, Locator::XPath(xpath)).await
    }

    /// The page fits a phone's width: nothing is wider than the viewport.
    pub(crate) async fn fits(&self, what: &str) {
        if let Some(wide) = self.too_wide().await {
            panic!("{what} scrolls sideways: {wide}");
        }
    }

    /// What makes the page wider than the viewport (the page's width and the first elements
    /// that reach past the right edge), or `None` when it fits.
    pub(crate) async fn too_wide(&self) -> Option<String> {
        let found = self
            .client
            .execute(
                "var d = document.documentElement, w = d.clientWidth;\
                 if (d.scrollWidth <= w + 1) return null;\
                 var out = [d.scrollWidth + ' > ' + w];\
                 document.querySelectorAll('body *').forEach(function (e) {\
                   if (out.length > 6) return;\
                   var r = e.getBoundingClientRect();\
                   if (r.width && r.right > w + 1) {\
                     var c = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ? '.' + String(e.className).trim().replace(/\\s+/g, '.') : '');\
                     out.push(c + ' (' + Math.round(r.right) + ')');\
                   }\
                 });\
                 return out.join(', ');",
                vec![],
            )
            .await
            .unwrap();
        found.as_str().map(str::to_string)
    }

    pub(crate) async fn visit(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        if let Err(e) = self.client.goto(&url).await {
            panic!("could not open {url}: {e}");
        }
    }

    pub(crate) async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    /// Waits until the page titled `title` (the part before " · ") is shown.
    pub(crate) async fn wait_title(&self, title: &str) {
        self.wait_xpath(&format!(
            "/html/head/title[starts-with(normalize-space(.), {})]",
            lit(&format!("{title} ·"))
        ))
        .await;
    }

    /// Types into a field, replacing what it held.
    pub(crate) async fn fill(&self, css: &str, value: &str) {
        let field = self.find_css(css).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks the (only visible) button with this text.
    pub(crate) async fn press(&self, text: &str) {
        let xpath = format!("//button[normalize-space()={}]", lit(text));
        let candidates = self.client.find_all(Locator::XPath(&xpath)).await.unwrap();
        for button in candidates {
            if button.is_displayed().await.unwrap() {
                button.click().await.unwrap();
                return;
            }
        }
        panic!("no visible button {text}\n{}", self.context().await);
    }

    pub(crate) async fn click_link(&self, text: &str) {
        let xpath = format!("//a[normalize-space()={}]", lit(text));
        self.find(&format!("link {text}"), Locator::XPath(&xpath))
            .await
            .click()
            .await
            .unwrap();
    }

    /// Clicks an entry of the left menu and waits for its page.
    pub(crate) async fn open_menu(&self, label: &str) {
        let xpath = format!(
            "//aside[@id='sidebar']//a[contains(@class,'nav-item')][normalize-space()={}]",
            lit(label)
        );
        self.find(&format!("menu entry {label}"), Locator::XPath(&xpath))
            .await
            .click()
            .await
            .unwrap();
        self.wait_title(label).await;
    }

    async fn menu_labels(&self) -> Vec<String> {
        let mut labels = Vec::new();
        for item in self
            .client
            .find_all(Locator::Css("#sidebar a.nav-item"))
            .await
            .unwrap()
        {
            labels.push(item.text().await.unwrap().trim().to_string());
        }
        labels
    }

    async fn user_name(&self) -> String {
        self.find_css(".topbar .user-name")
            .await
            .text()
            .await
            .unwrap()
            .trim()
            .to_string()
    }

    /// Waits for the one-time message at the top of the page.
    pub(crate) async fn wait_flash(&self, message: &str) {
        self.wait_xpath(&format!(
            "//div[contains(@class,'alert-success')][contains(normalize-space(.), {})]",
            lit(message)
        ))
        .await;
    }

    /// The one-time message the current page shows, if any.
    async fn flash_now(&self) -> Option<String> {
        let found = self
            .client
            .find_all(Locator::Css(".alert-success"))
            .await
            .unwrap();
        match found.first() {
            Some(e) => Some(e.text().await.unwrap()),
            None => None,
        }
    }

    fn row_xpath(cell: &str) -> String {
        format!("//table//tbody/tr[td[normalize-space()={}]]", lit(cell))
    }

    /// Waits for a table row with a cell reading exactly `cell`.
    pub(crate) async fn see_row(&self, cell: &str) -> Element {
        self.wait_xpath(&Self::row_xpath(cell)).await
    }

    async fn no_row(&self, cell: &str) {
        let rows = self
            .client
            .find_all(Locator::XPath(&Self::row_xpath(cell)))
            .await
            .unwrap();
        assert!(
            rows.is_empty(),
            "{cell} should no longer be listed\n{}",
            self.context().await
        );
    }

    async fn delete_button_of(&self, cell: &str) -> Element {
        let xpath = format!(
            "{}//button[normalize-space()='删除']",
            Self::row_xpath(cell)
        );
        self.find(
            &format!("删除 on the row of {cell}"),
            Locator::XPath(&xpath),
        )
        .await
    }

    /// The box of one action in the permission tree.
    async fn permission(&self, code: &str) -> Element {
        self.find_css(&format!("input[name=permissions][value='{code}']"))
            .await
    }

    /// The menu-level box of the permission tree, in the menu that holds `code`.
    async fn menu_toggle(&self, code: &str) -> Element {
        self.find_xpath(&format!(
            "//fieldset[@data-perm-menu][.//input[@name='permissions'][@value={}]]\
             //input[@data-menu-toggle]",
            lit(code)
        ))
        .await
    }

    /// The box of a role on the account form.
    async fn role_box(&self, role: &str) -> Element {
        self.find_xpath(&format!(
            "//label[contains(@class,'check')][normalize-space()={}]/input[@name='role_ids']",
            lit(role)
        ))
        .await
    }

    async fn submit_login(&self, username: &str, password: &str) {
        self.visit("/login").await;
        self.wait_css("form.login-form").await;
        self.fill("input[name=username]", username).await;
        self.fill("input[name=password]", password).await;
        self.press("登录").await;
    }

    /// Logs in at /login and waits for the application's top bar.
    pub(crate) async fn login(&self, username: &str, password: &str) {
        self.submit_login(username, password).await;
        self.wait_css(".topbar .user-name").await;
    }

    /// Tries to log in, expects the login page to refuse, and returns its message.
    async fn login_fails(&self, username: &str, password: &str) -> String {
        self.submit_login(username, password).await;
        let alert = self.wait_css(".login-box .alert-error").await;
        assert_eq!(self.path().await, "/login");
        alert.text().await.unwrap()
    }

    /// 退出 in the top bar; waits for the login page.
    pub(crate) async fn logout(&self) {
        self.press("退出").await;
        self.wait_css("form.login-form").await;
        self.wait_flash("您已安全退出").await;
    }
}

/// An XPath string literal (the texts used here hold no apostrophe).
pub(crate) fn lit(s: &str) -> String {
    assert!(!s.contains('\''), "XPath literal with an apostrophe: {s}");
    format!("'{s}'")
}

fn chromium_binary() -> String {
    let path = std::env::var("ANZE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "ANZE_TEST_BROWSER=1 but Chromium is not at {path} (set ANZE_CHROMIUM)"
    );
    path
}

// ---------------------------------------------------------------------------------------------
// chromedriver: one per test, on a free port, gone when the test ends.
// ---------------------------------------------------------------------------------------------

struct Driver {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Driver {
    async fn start() -> Driver {
        let program = std::env::var("ANZE_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("anze-browser-{port}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("profile")).unwrap();
        let log = std::fs::File::create(dir.join("chromedriver.log")).unwrap();
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            // Its own process group, so that the browser it starts can be ended with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                let _ = std::fs::remove_dir_all(&dir);
                panic!(
                    "ANZE_TEST_BROWSER=1 but chromedriver could not be started \
                     ({program}: {e}); install it or set ANZE_CHROMEDRIVER"
                )
            });
        let mut driver = Driver { child, port, dir };
        driver.wait_until_ready().await;
        driver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn profile(&self) -> PathBuf {
        self.dir.join("profile")
    }

    /// Polls `/status` until chromedriver answers (bounded).
    async fn wait_until_ready(&mut self) {
        let http = reqwest::Client::new();
        let status = format!("{}/status", self.url());
        let started = Instant::now();
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!(
                    "chromedriver exited at start ({exit}); log in {}",
                    self.dir.display()
                );
            }
            if let Ok(res) = http.get(&status).send().await
                && res.status().is_success()
            {
                return;
            }
            assert!(
                started.elapsed() < DRIVER_START,
                "chromedriver did not answer on port {} within {DRIVER_START:?}; log in {}",
                self.port,
                self.dir.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole process group: chromedriver and any browser it left behind.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("chromedriver log kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
