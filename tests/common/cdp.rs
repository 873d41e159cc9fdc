//! A tiny Chrome DevTools Protocol client over chromium's `--remote-debugging-pipe`: the
//! browser reads commands on fd 3 and writes replies and events on fd 4, each message one
//! JSON object ended by a NUL byte. Std, libc and serde_json only.
//!
//! Included with `#[path = "common/cdp.rs"] mod cdp;` by the tests that drive a page.
#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// Flags for a quiet headless chromium that works as root (a fresh `--user-data-dir` apart).
pub const HEADLESS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// A headless chromium with one page attached (flat session mode).
pub struct Browser {
    child: Child,
    to: File,
    from: BufReader<File>,
    next_id: u64,
    session: String,
    /// Events seen while waiting for replies (console calls, exceptions, log entries).
    pub events: Vec<Value>,
    _profile: tempfile::TempDir,
    pub stderr: PathBuf,
}

/// A pipe whose two ends sit at fds >= 10, both close-on-exec (the child gets its copies
/// through dup2 in `pre_exec`, which clears the flag on fds 3 and 4 only).
fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    let high = |fd: RawFd| {
        let h = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) };
        assert!(h >= 10);
        unsafe { libc::close(fd) };
        h
    };
    (high(fds[0]), high(fds[1]))
}

impl Browser {
    /// Starts chromium (`extra` flags added), opens `url` in a new page and attaches to it;
    /// with `scripts` false the page's JavaScript is off (the protocol still works).
    pub fn launch(bin: &Path, url: &str, extra: &[&str], scripts: bool) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let stderr = profile.path().join("stderr.log");
        let (cmd_r, cmd_w) = pipe(); // we write commands, chromium reads fd 3
        let (ev_r, ev_w) = pipe(); // chromium writes fd 4, we read
        let mut cmd = Command::new(bin);
        cmd.args(HEADLESS)
            .args(["--hide-scrollbars", "--remote-debugging-pipe"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&stderr).unwrap());
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(cmd_r, 3) < 0 || libc::dup2(ev_w, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start chromium");
        unsafe {
            libc::close(cmd_r);
            libc::close(ev_w);
        }
        let mut b = Browser {
            child,
            to: unsafe { File::from_raw_fd(cmd_w) },
            from: BufReader::new(unsafe { File::from_raw_fd(ev_r) }),
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
            _profile: profile,
            stderr,
        };
        let target = b.call_browser("Target.createTarget", json!({ "url": "about:blank" }));
        let target_id = target["targetId"].as_str().expect("targetId").to_string();
        let attached = b.call_browser(
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        b.session = attached["sessionId"]
            .as_str()
            .expect("sessionId")
            .to_string();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            b.call(domain, json!({}));
        }
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": false }),
        );
        if !scripts {
            b.call(
                "Emulation.setScriptExecutionDisabled",
                json!({ "value": true }),
            );
        }
        b.call("Page.navigate", json!({ "url": url }));
        b
    }

    /// Waits for the event `method` (already seen or still to come), up to `secs`.
    pub fn wait_event(&mut self, method: &str, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(e) = self.events.iter().find(|e| e["method"] == method) {
                return e.clone();
            }
            assert!(Instant::now() < deadline, "no {method} event");
            // A cheap command: its reply comes after any event already queued.
            self.call("Runtime.getIsolateId", json!({}));
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The document as HTML, read through the protocol (works with scripts off).
    pub fn outer_html(&mut self) -> String {
        let doc = self.call("DOM.getDocument", json!({ "depth": 0 }));
        let id = doc["root"]["nodeId"].clone();
        let html = self.call("DOM.getOuterHTML", json!({ "nodeId": id }));
        html["outerHTML"].as_str().unwrap_or_default().to_string()
    }

    /// A PNG of the page region of the element `selector` (found through the protocol).
    pub fn screenshot_of(&mut self, selector: &str, path: &Path) {
        let doc = self.call("DOM.getDocument", json!({ "depth": 0 }));
        let node = self.call(
            "DOM.querySelector",
            json!({ "nodeId": doc["root"]["nodeId"], "selector": selector }),
        );
        let boxes = self.call("DOM.getBoxModel", json!({ "nodeId": node["nodeId"] }));
        let q = &boxes["model"]["border"];
        let (x, y) = (q[0].as_f64().unwrap(), q[1].as_f64().unwrap());
        let (w, h) = (
            boxes["model"]["width"].as_f64().unwrap(),
            boxes["model"]["height"].as_f64().unwrap().min(3000.0),
        );
        let r = self.call(
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true,
                    "clip": { "x": x, "y": y, "width": w, "height": h, "scale": 1 } }),
        );
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().expect("screenshot data"))
            .unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn send(&mut self, method: &str, params: Value, session: bool) -> u64 {
        self.next_id += 1;
        let mut msg = json!({ "id": self.next_id, "method": method, "params": params });
        if session {
            msg["sessionId"] = Value::from(self.session.clone());
        }
        let mut bytes = msg.to_string().into_bytes();
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        self.next_id
    }

    fn reply(&mut self, id: u64, method: &str) -> Value {
        loop {
            let mut buf = Vec::new();
            let n = self
                .from
                .read_until(0, &mut buf)
                .expect("read from chromium");
            assert!(
                n > 0,
                "chromium closed the pipe waiting for {method}; stderr:\n{}",
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            );
            buf.pop();
            let v: Value = serde_json::from_slice(&buf).expect("CDP message is JSON");
            if v["id"].as_u64() == Some(id) {
                if let Some(e) = v.get("error") {
                    panic!("{method} failed: {e}");
                }
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    /// A command to the browser itself.
    pub fn call_browser(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params, false);
        self.reply(id, method)
    }

    /// A command to the page.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params, true);
        self.reply(id, method)
    }

    /// Evaluates `expr` in the page and returns its value (JSON); a thrown error fails.
    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": expr, "returnByValue": true, "awaitPromise": true }),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expr} threw: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `expr` is true in the page, up to `secs`.
    pub fn wait_for(&mut self, expr: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.eval(&format!("!!({expr})")) != Value::Bool(true) {
            assert!(Instant::now() < deadline, "page never had {expr}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Scrolls `selector`'s element into the middle of the view and returns its centre.
    pub fn centre_of(&mut self, selector: &str) -> (f64, f64) {
        let sel = serde_json::to_string(selector).unwrap();
        let v = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); if (!e) return null; \
             e.scrollIntoView({{block: 'center', inline: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
        ));
        let xy = v
            .as_array()
            .unwrap_or_else(|| panic!("no element {selector}"));
        (xy[0].as_f64().unwrap(), xy[1].as_f64().unwrap())
    }

    /// Moves the mouse to (x, y): a real hover, through the browser's input pipeline.
    pub fn hover(&mut self, (x, y): (f64, f64)) {
        self.call(
            "Input.dispatchMouseEvent",
            json!({ "type": "mouseMoved", "x": x, "y": y }),
        );
    }

    pub fn click(&mut self, (x, y): (f64, f64)) {
        self.hover((x, y));
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            );
        }
    }

    pub fn key(&mut self, key: &str, code: &str, vk: u32) {
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({ "type": kind, "key": key, "code": code, "windowsVirtualKeyCode": vk }),
            );
        }
    }

    /// A PNG of the viewport, written to `path`.
    pub fn screenshot(&mut self, path: &Path) {
        let r = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().expect("screenshot data"))
            .unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Errors the page reported: exceptions, console errors, CSP refusals and other log errors.
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| match e["method"].as_str() {
                Some("Runtime.exceptionThrown") => true,
                Some("Runtime.consoleAPICalled") => e["params"]["type"] == "error",
                Some("Log.entryAdded") => e["params"]["entry"]["level"] == "error",
                _ => false,
            })
            .map(|e| e.to_string())
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Not `send`: a browser that already went away must not panic a drop.
        let close = json!({ "id": u64::MAX >> 12, "method": "Browser.close" }).to_string();
        let _ = self.to.write_all(format!("{close}\0").as_bytes());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
