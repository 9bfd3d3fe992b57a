//! Web security over the whole site, found by crawling the demo agency rather than listed by
//! hand, so a new page or form is covered the day it appears: every form is submitted with
//! script payloads in its text fields, and no page, form response or error message may give
//! them back unescaped. The crawler is shared with the accessibility test in `browser.rs`.

use scraper::{ElementRef, Html, Selector};
use shegong_testkit::{Backend, Client, TestApp, TestDb};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A payload that breaks out of text and of quoted and unquoted attributes when not escaped.
/// Short enough for fields of 40 characters.
pub(crate) const PAYLOAD: &str = r#"'"><img src=x onerror=xss(1)>"#;

/// Where a page gives the payload back as markup rather than as text.
fn raw_payload(body: &str) -> Option<&'static str> {
    ["<img src=x onerror=xss(", "<script>xss("].into_iter().find(|m| body.contains(m))
}

/// Whether the page's main content shows the payload as text (escaped), proof that the field
/// was stored and shown (the header, which shows the account's own name, is left out).
fn shows_payload(body: &str) -> bool {
    Html::parse_document(body).select(&sel("main")).any(|m| m.text().any(|t| t.contains(PAYLOAD)))
}

/// A path with its ids and numbers replaced, and its query reduced to its keys: pages of one
/// pattern share a template, so a few of each cover the site.
pub(crate) fn pattern(path: &str) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<String> = path
        .split('/')
        .map(|s| {
            let idish = s.len() >= 16 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            let numeric = !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '-');
            if idish || numeric {
                "{id}".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    let mut keys: Vec<&str> = query.split('&').filter_map(|kv| kv.split('=').next()).filter(|k| !k.is_empty()).collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        segments.join("/")
    } else {
        format!("{}?{}", segments.join("/"), keys.join("&"))
    }
}

/// Links the crawler never follows: signing out, assets, files and switching language (the
/// accessibility test switches language itself).
fn followable(href: &str) -> Option<String> {
    let href = href.split('#').next()?.trim();
    if !href.starts_with('/') || href.starts_with("//") {
        return None;
    }
    let skip = ["/logout", "/static/", "/metrics", "/healthz", "/api/"];
    if skip.iter().any(|s| href.starts_with(s)) {
        return None;
    }
    let files = [".csv", ".xlsx", ".svg", ".png", ".jpg", ".pdf", "/export", "/photo", "/labels", "/download"];
    if files.iter().any(|f| href.split('?').next().is_some_and(|p| p.ends_with(f) || p.contains(&format!("{f}/")))) {
        return None;
    }
    Some(href.replace("&amp;", "&"))
}

/// One HTML page the crawler read.
pub(crate) struct Page {
    pub path: String,
    pub body: String,
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// Reads the site breadth-first from `start`, at most `per_pattern` pages of each pattern and
/// `max` pages in all. Links whose text shows the payload are read first and beyond the
/// per-pattern limit, so records created with it are always opened.
pub(crate) async fn crawl(c: &Client, start: &[&str], per_pattern: usize, max: usize) -> Vec<Page> {
    let a = sel("a[href]");
    let mut queue: VecDeque<String> = start.iter().map(|s| s.to_string()).collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        if pages.len() >= max {
            break;
        }
        let r = c.get(&path).await;
        let status = r.status().as_u16();
        let html = r.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
        if !html || status >= 300 {
            continue;
        }
        let body = r.text().await.unwrap();
        assert!(status < 500, "{path} answered {status}");
        let doc = Html::parse_document(&body);
        for link in doc.select(&a) {
            let Some(href) = link.value().attr("href").and_then(followable) else { continue };
            if !seen.insert(href.clone()) {
                continue;
            }
            let p = pattern(&href);
            let n = taken.entry(p).or_default();
            if link.text().any(|t| t.contains("xss(")) && *n < per_pattern + 3 {
                *n += 1;
                queue.push_front(href);
            } else if *n < per_pattern {
                *n += 1;
                queue.push_back(href);
            }
        }
        pages.push(Page { path, body });
    }
    pages
}

/// How a form's fields are filled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fill {
    /// The payload in every field a person types into: the form mostly comes back with errors,
    /// and the errors must show the input as text.
    Everywhere,
    /// The payload in free-text fields only; structured fields get valid values, so the record
    /// is saved and the payload is shown back on other pages.
    FreeText,
}

/// A form's fields, filled.
fn fields(form: ElementRef<'_>, fill: Fill) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut radios: BTreeMap<String, Option<String>> = BTreeMap::new();
    for el in form.select(&sel("input[name], textarea[name], select[name]")) {
        let v = el.value();
        let name = v.attr("name").unwrap_or_default().to_string();
        let value = v.attr("value").unwrap_or_default().to_string();
        match v.name() {
            "textarea" => out.push((name, PAYLOAD.into())),
            "select" => {
                let options: Vec<ElementRef> = el.select(&sel("option")).collect();
                let required = v.attr("required").is_some();
                let chosen = options
                    .iter()
                    .find(|o| o.value().attr("selected").is_some())
                    .or_else(|| options.iter().find(|o| !required || !o.value().attr("value").unwrap_or_default().is_empty()))
                    .map(|o| o.value().attr("value").map(str::to_string).unwrap_or_else(|| o.text().collect()));
                out.push((name, chosen.unwrap_or_default()));
            }
            _ => {
                let kind = v.attr("type").unwrap_or("text").to_ascii_lowercase();
                let structured = v.attr("pattern").is_some() || v.attr("inputmode").is_some();
                let or = |sample: &str| if value.is_empty() { sample.to_string() } else { value.clone() };
                let typed = match kind.as_str() {
                    "hidden" => Some(value.clone()),
                    "checkbox" => v.attr("checked").map(|_| if value.is_empty() { "on".into() } else { value.clone() }),
                    "radio" => {
                        let slot = radios.entry(name.clone()).or_default();
                        if v.attr("checked").is_some() || slot.is_none() {
                            *slot = Some(value.clone());
                        }
                        None
                    }
                    "file" | "submit" | "button" | "reset" | "image" => None,
                    // A filled optional password would reset that account's password.
                    "password" => Some(if v.attr("required").is_some() { "Correct-Horse-Battery-2026".into() } else { String::new() }),
                    "number" | "range" => Some(or(v.attr("min").unwrap_or("1"))),
                    "date" => Some(or("2026-01-15")),
                    "datetime-local" => Some(or("2026-01-15T10:00")),
                    "time" => Some(or("10:00")),
                    "month" => Some(or("2026-01")),
                    "week" => Some(or("2026-W03")),
                    "color" => Some(or("#000000")),
                    "email" if fill == Fill::FreeText => Some(or("someone@example.org")),
                    "tel" if fill == Fill::FreeText => Some(or("91234567")),
                    "url" if fill == Fill::FreeText => Some(or("https://example.org/")),
                    _ if fill == Fill::FreeText && structured => Some(value.clone()),
                    _ => Some(PAYLOAD.into()),
                };
                if let Some(t) = typed {
                    out.push((name, t));
                }
            }
        }
    }
    out.extend(radios.into_iter().filter_map(|(n, v)| Some((n, v?))));
    if let Some(b) = form.select(&sel("button[name]")).next() {
        out.push((b.value().attr("name").unwrap_or_default().into(), b.value().attr("value").unwrap_or_default().into()));
    }
    out
}

/// A form the crawler submits: where, and a key that says which forms are alike.
struct Form {
    page: String,
    action: String,
    key: String,
    html: String,
}

fn forms(page: &Page) -> Vec<Form> {
    let doc = Html::parse_document(&page.body);
    let mut out = Vec::new();
    for f in doc.select(&sel("form")) {
        let v = f.value();
        if !v.attr("method").is_some_and(|m| m.eq_ignore_ascii_case("post")) {
            continue;
        }
        if v.attr("enctype").is_some_and(|e| e.contains("multipart")) {
            continue;
        }
        let action = match v.attr("action") {
            Some(a) if !a.is_empty() => a.replace("&amp;", "&"),
            _ => page.path.clone(),
        };
        // Signing out, signing in and changing one's own password would end this crawl.
        if ["/logout", "/login", "/account/password"].iter().any(|s| action.starts_with(s)) {
            continue;
        }
        let mut names: Vec<&str> = f.select(&sel("[name]")).filter_map(|e| e.value().attr("name")).collect();
        names.sort_unstable();
        names.dedup();
        let key = format!("{} {}", pattern(&action), names.join(","));
        out.push(Form { page: page.path.clone(), action, key, html: f.html() });
    }
    out
}

async fn post(c: &Client, action: &str, pairs: &[(String, String)]) -> (u16, String, Option<String>) {
    let body = serde_urlencoded::to_string(pairs).unwrap();
    let r = c
        .http
        .post(c.url(action))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("referer", c.url(action))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_string);
    (status, r.text().await.unwrap(), location)
}

/// The names of the fields a refused form marks as invalid.
fn invalid_fields(body: &str) -> BTreeSet<String> {
    Html::parse_document(body)
        .select(&sel("[aria-invalid=true][name]"))
        .filter_map(|e| e.value().attr("name").map(str::to_string))
        .collect()
}

/// The demo accounts whose pages the crawl reads: together they reach every capability.
const LOGINS: [&str; 6] = ["admin", "supervisor", "worker", "welfare", "hotline", "volunteer"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_form_or_error_gives_back_markup_typed_into_a_field() {
    let app = TestApp::spawn_demo(TestDb::new(Backend::Sqlite).await.expect("SQLite is always available")).await;
    let debug = std::env::var("SHEGONG_CRAWL_DEBUG").is_ok();
    let mut leaks: Vec<String> = Vec::new();
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let (mut pages, mut saved, mut refused) = (0, 0, 0);
    let mut clients = Vec::new();
    for login in LOGINS {
        let c = app.client();
        assert_eq!(c.login(login, shegong_web::demo::DEMO_PASSWORD).await.status(), 303, "{login} signs in");
        let read = crawl(&c, &["/"], 2, 400).await;
        pages += read.len();
        let mine: Vec<Form> = read.iter().flat_map(forms).filter(|f| keys.insert(f.key.clone())).collect();
        for form in &mine {
            let frag = Html::parse_fragment(&form.html);
            let Some(el) = frag.select(&sel("form")).next() else { continue };
            for fill in [Fill::Everywhere, Fill::FreeText] {
                let mut pairs = fields(el, fill);
                let mut answer = post(&c, &form.action, &pairs).await;
                if fill == Fill::FreeText {
                    // Give the fields the form refused a valid value (the form's own, else a
                    // number that is also a valid code), keeping the payload in the rest, so
                    // the record is saved with it.
                    let defaults: BTreeMap<String, String> = el
                        .select(&sel("input[name], textarea[name]"))
                        .filter_map(|e| {
                            Some((e.value().attr("name")?.to_string(), e.value().attr("value").unwrap_or_default().to_string()))
                        })
                        .collect();
                    for round in 0..2 {
                        let bad = invalid_fields(&answer.1);
                        if answer.0 != 422 || bad.is_empty() {
                            break;
                        }
                        for (n, v) in pairs.iter_mut() {
                            if bad.contains(n) {
                                *v = match round {
                                    0 => defaults.get(n).cloned().unwrap_or_default(),
                                    _ => (keys.len() + 1).to_string(),
                                };
                            }
                        }
                        answer = post(&c, &form.action, &pairs).await;
                    }
                }
                let (status, body, location) = answer;
                assert!(status < 500, "{} (from {}, {fill:?}, as {login}) answered {status}: {body}", form.action, form.page);
                if let Some(m) = raw_payload(&body) {
                    leaks.push(format!("POST {} ({fill:?}, as {login}) answered with {m}", form.action));
                }
                match (status, location) {
                    (303, Some(to)) => {
                        saved += 1;
                        if let Some(to) = followable(&to) {
                            let (_, shown) = c.page(&to).await;
                            if let Some(m) = raw_payload(&shown) {
                                leaks.push(format!("{to} after POST {} as {login} shows {m}", form.action));
                            }
                        }
                    }
                    (st, _) => {
                        refused += 1;
                        if debug {
                            println!("{login}: {st} from {} ({fill:?}), invalid: {:?}", form.action, invalid_fields(&body));
                        }
                    }
                }
            }
            // A form that ended the session would hide every later page behind the sign-in.
            assert_eq!(c.get("/").await.status(), 200, "submitting {} (from {}) signed {login} out", form.action, form.page);
        }
        clients.push((login, c));
    }

    let mut showing = BTreeSet::new();
    for (login, c) in &clients {
        for p in crawl(c, &["/"], 2, 600).await {
            if let Some(m) = raw_payload(&p.body) {
                leaks.push(format!("{} as {login} shows {m}", p.path));
            }
            if shows_payload(&p.body) {
                showing.insert(pattern(&p.path));
            }
        }
    }
    println!(
        "{pages} pages read; {} distinct forms: {saved} submissions saved, {refused} came back; the payload is shown as text on {} page patterns",
        keys.len(),
        showing.len()
    );
    if debug {
        println!("{showing:#?}");
    }
    assert!(leaks.is_empty(), "markup typed into fields came back unescaped:\n{}", leaks.join("\n"));
    assert!(keys.len() >= 60, "the crawl finds the site's forms: {}", keys.len());
    assert!(showing.len() >= 40, "saved payloads are shown back on many kinds of page: {showing:?}");
}
