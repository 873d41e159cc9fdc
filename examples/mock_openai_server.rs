//! A small OpenAI-compatible streaming server for testing `adreport run online`.
//!
//! std only (plus serde_json, a dependency of the crate anyway): one thread per connection,
//! HTTP/1.1 keep-alive, SSE streaming with chunked transfer encoding. Listens on 127.0.0.1 only.
//!
//! ```text
//! cargo run --example mock_openai_server -- --port 8000 --ttft-ms 20 --itl-ms 2
//! ```
//!
//! Serves `/v1/chat/completions` and `/v1/completions` (streaming or not; honours
//! `max_tokens`/`max_completion_tokens`, `min_tokens`, `ignore_eos`; a final usage chunk when
//! `stream_options.include_usage`), `/v1/models` and `/health`. Logs like uvicorn, including
//! `Application startup complete.`, so log-based readiness can be tested too.
//!
//! Faults for tests: `--fail-rate` (HTTP 500 for that fraction of generation requests),
//! `--crash-after N` (exit abruptly when generation request N+1 arrives; with `--crash-once FILE`
//! only if FILE does not exist yet, which it then creates), `--startup-delay-ms`,
//! `--spawn-helper` (a `sleep` child, to check that the whole process group is stopped),
//! `--ignore-sigterm` (so stopping has to escalate to SIGKILL).
//!
//! Noise with a known truth, for checking verdicts: `--run-cv F` scales every latency of this
//! server process by one factor exp(F * z), z ~ N(0, 1) (run-to-run drift, as a real server's
//! speed moves between starts), and `--jitter F` scales each request by its own exp(F * z).
//! The draws come from `--speed-seed S` and the start number kept in `--speed-counter FILE`
//! (read, then incremented, at every start), so a sweep that restarts its server gets a new,
//! reproducible factor per start. `--virtual-time` answers at once instead of sleeping: each
//! streamed token carries `mock_t_ms`, the time it would have been sent after the request
//! arrived, and a client that knows the field (the aiperf stand-in) times the request by it, so
//! simulations read no clock and cost no waiting.
//!
//! A server that saturates: `--max-batch N` lets at most N requests generate at once; the rest
//! wait in arrival order, so TTFT grows with concurrency as on a real server (with C requests
//! in flight, the mean wait is about (C/N - 1) x the time of one request). In `--virtual-time`
//! the queue runs on the client's clock: a request carrying `mock_t0_ms` (its send time on that
//! clock) and `mock_clock` (an id of the clock; a new id starts an empty queue) waits for the
//! slot that frees first, and its tokens are stamped after that wait. `/v1/models` says
//! `mock_virtual_time` and `mock_max_batch`, so a client can send requests in the order of its
//! clock (the aiperf stand-in does).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// Largest request body accepted; prompts in tests are small.
const MAX_BODY: usize = 8 << 20;
/// Tokens generated when a request sets no limit.
const DEFAULT_MAX_TOKENS: u64 = 16;

#[derive(Debug, Clone)]
struct Config {
    port: u16,
    model: String,
    ttft: Duration,
    itl: Duration,
    fail_rate: f64,
    crash_after: Option<u64>,
    crash_once: Option<PathBuf>,
    startup_delay: Duration,
    spawn_helper: bool,
    ignore_sigterm: bool,
    run_cv: f64,
    jitter: f64,
    speed_seed: u64,
    speed_counter: Option<PathBuf>,
    virtual_time: bool,
    max_batch: Option<usize>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: 8000,
            model: "mock-llm".into(),
            ttft: Duration::from_millis(20),
            itl: Duration::from_millis(2),
            fail_rate: 0.0,
            crash_after: None,
            crash_once: None,
            startup_delay: Duration::ZERO,
            spawn_helper: false,
            ignore_sigterm: false,
            run_cv: 0.0,
            jitter: 0.0,
            speed_seed: 0,
            speed_counter: None,
            virtual_time: false,
            max_batch: None,
        }
    }
}

const USAGE: &str =
    "usage: mock_openai_server [--port N] [--model NAME] [--ttft-ms MS] [--itl-ms MS] \
[--fail-rate F] [--crash-after N] [--crash-once FILE] [--startup-delay-ms MS] [--spawn-helper] \
[--ignore-sigterm] [--run-cv F] [--jitter F] [--speed-seed S] [--speed-counter FILE] [--virtual-time] [--max-batch N] [--tag ANY]";

fn parse_args(args: &[String]) -> Result<Config, String> {
    let mut c = Config::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let num = |v: String| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| format!("{flag}: expected a number >= 0, got `{v}`"))
        };
        let ms = |v: f64| Duration::from_secs_f64(v / 1000.0);
        match flag.as_str() {
            "--port" => c.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--model" => c.model = value()?,
            "--ttft-ms" => c.ttft = ms(num(value()?)?),
            "--itl-ms" => c.itl = ms(num(value()?)?),
            "--fail-rate" => c.fail_rate = num(value()?)?,
            "--crash-after" => c.crash_after = Some(num(value()?)? as u64),
            "--crash-once" => c.crash_once = Some(PathBuf::from(value()?)),
            "--startup-delay-ms" => c.startup_delay = ms(num(value()?)?),
            "--spawn-helper" => c.spawn_helper = true,
            "--ignore-sigterm" => c.ignore_sigterm = true,
            "--run-cv" => c.run_cv = num(value()?)?,
            "--jitter" => c.jitter = num(value()?)?,
            "--speed-seed" => c.speed_seed = num(value()?)? as u64,
            "--speed-counter" => c.speed_counter = Some(PathBuf::from(value()?)),
            "--virtual-time" => c.virtual_time = true,
            "--max-batch" => {
                let n = num(value()?)?;
                if n < 1.0 || n.fract() != 0.0 {
                    return Err(format!(
                        "--max-batch: expected a whole number >= 1, got {n}"
                    ));
                }
                c.max_batch = Some(n as usize);
            }
            // Lets tests find their own processes in /proc by a unique string.
            "--tag" => {
                value()?;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(c)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ERROR:    {e}");
            ExitCode::from(1)
        }
    }
}

/// Counters shared by connection threads.
struct State {
    config: Config,
    generation_requests: AtomicU64,
    next_id: AtomicU64,
    batch: Batch,
}

/// The `--max-batch` slots: in real time a FIFO of tickets, in virtual time the virtual
/// moment each slot frees.
#[derive(Default)]
struct Batch {
    queue: Mutex<Queue>,
    turn: Condvar,
}

#[derive(Default)]
struct Queue {
    running: usize,
    next_ticket: u64,
    serving: u64,
    clock: String,
    free_at_ms: Vec<f64>,
}

/// A held slot; dropping it frees the slot for the next request in line.
struct Slot<'a>(Option<&'a Batch>);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(b) = self.0 {
            let mut q = b.queue.lock().unwrap_or_else(|e| e.into_inner());
            q.running -= 1;
            b.turn.notify_all();
        }
    }
}

impl Batch {
    /// Waits (in arrival order) until fewer than `max` requests generate.
    fn acquire(&self, max: usize) -> Slot<'_> {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let ticket = q.next_ticket;
        q.next_ticket += 1;
        while q.serving != ticket || q.running >= max {
            q = self.turn.wait(q).unwrap_or_else(|e| e.into_inner());
        }
        q.serving += 1;
        q.running += 1;
        self.turn.notify_all();
        Slot(Some(self))
    }

    /// The virtual wait of a request sent at `t0_ms` on clock `clock` that holds a slot for
    /// `service_ms`: it takes the slot that frees first.
    fn virtual_wait(&self, max: usize, clock: &str, t0_ms: f64, service_ms: f64) -> f64 {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if q.clock != clock || q.free_at_ms.len() != max {
            q.clock = clock.to_string();
            q.free_at_ms = vec![0.0; max];
        }
        let (i, free) = q
            .free_at_ms
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        let start = t0_ms.max(free);
        if let Some(f) = q.free_at_ms.get_mut(i) {
            *f = start + service_ms;
        }
        start - t0_ms
    }
}

fn serve(mut config: Config) -> Result<(), String> {
    log(&format!("Started server process [{}]", std::process::id()));
    if config.run_cv > 0.0 || config.jitter > 0.0 {
        let start = next_start(config.speed_counter.as_deref())?;
        let factor = (config.run_cv * normal(mix(config.speed_seed, start, u64::MAX))).exp();
        config.ttft = config.ttft.mul_f64(factor);
        config.itl = config.itl.mul_f64(factor);
        config.speed_seed = mix(config.speed_seed, start, 0);
        log(&format!("start {start}: speed factor {factor:.4}"));
    }
    if config.ignore_sigterm {
        // SAFETY: installing SIG_IGN for SIGTERM has no preconditions.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_IGN);
        }
    }
    if config.spawn_helper {
        let child = std::process::Command::new("sleep")
            .arg("600")
            .spawn()
            .map_err(|e| format!("cannot spawn helper: {e}"))?;
        log(&format!("helper process [{}]", child.id()));
    }
    log("Waiting for application startup.");
    thread::sleep(config.startup_delay);
    let listener = TcpListener::bind(("127.0.0.1", config.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", config.port))?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    log("Application startup complete.");
    log(&format!(
        "Uvicorn running on http://127.0.0.1:{port} (Press CTRL+C to quit)"
    ));
    let state = Arc::new(State {
        config,
        generation_requests: AtomicU64::new(0),
        next_id: AtomicU64::new(0),
        batch: Batch::default(),
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let state = Arc::clone(&state);
        thread::spawn(move || {
            let _ = handle_connection(stream, &state);
        });
    }
    Ok(())
}

fn log(msg: &str) {
    println!("INFO:     {msg}");
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
    close: bool,
}

/// Serves requests on one connection until the client closes it or asks to.
fn handle_connection(stream: TcpStream, state: &State) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    while let Some(req) = read_request(&mut reader)? {
        let status = route(&req, &mut out, state)?;
        log(&format!(
            "{peer} - \"{} {} HTTP/1.1\" {status}",
            req.method, req.path
        ));
        if req.close {
            break;
        }
    }
    Ok(())
}

/// Reads one request; `None` at a clean end of the connection.
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let http10 = parts.next() == Some("HTTP/1.0");
    let mut length = 0usize;
    let mut close = http10;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = value.parse().unwrap_or(0).min(MAX_BODY);
            } else if name == "connection" {
                close = value.eq_ignore_ascii_case("close");
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request {
        method,
        path,
        body,
        close,
    }))
}

fn route(req: &Request, out: &mut TcpStream, state: &State) -> std::io::Result<u16> {
    let path = req.path.split('?').next().unwrap_or("");
    match (req.method.as_str(), path) {
        ("GET", "/health") => respond(out, 200, "text/plain", b""),
        ("GET", "/v1/models") => {
            let mut model = json!({
                "id": state.config.model, "object": "model", "created": 0, "owned_by": "adreport-mock"
            });
            if state.config.virtual_time {
                model["mock_virtual_time"] = json!(true);
            }
            if let Some(n) = state.config.max_batch {
                model["mock_max_batch"] = json!(n);
            }
            let body = json!({"object": "list", "data": [model]});
            respond(out, 200, "application/json", body.to_string().as_bytes())
        }
        ("POST", "/v1/chat/completions") => generate(req, out, state, true),
        ("POST", "/v1/completions") => generate(req, out, state, false),
        _ => respond(out, 404, "application/json", br#"{"detail":"Not Found"}"#),
    }
}

fn respond(
    out: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<u16> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        reason(status),
        body.len()
    );
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()?;
    Ok(status)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Internal Server Error",
    }
}

/// What a generation request asks for.
struct Ask {
    stream: bool,
    include_usage: bool,
    prompt_tokens: u64,
    tokens: u64,
}

fn parse_ask(body: &Value, chat: bool) -> Ask {
    let int = |k: &str| body.get(k).and_then(Value::as_u64);
    let max = int("max_completion_tokens")
        .or_else(|| int("max_tokens"))
        .unwrap_or(DEFAULT_MAX_TOKENS);
    // With ignore_eos the model never stops early; without it the mock still produces max
    // tokens, but min_tokens can raise a smaller limit the way real servers honour it.
    let tokens = max.max(int("min_tokens").unwrap_or(0)).max(1);
    let prompt_text = if chat {
        body.get("messages")
            .and_then(Value::as_array)
            .map(|ms| {
                ms.iter()
                    .filter_map(|m| m.get("content").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    } else {
        match body.get("prompt") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) => format!("{}", a.len()),
            _ => String::new(),
        }
    };
    Ask {
        stream: body.get("stream").and_then(Value::as_bool) == Some(true),
        include_usage: body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            == Some(true),
        prompt_tokens: prompt_text.split_whitespace().count() as u64,
        tokens,
    }
}

fn generate(req: &Request, out: &mut TcpStream, state: &State, chat: bool) -> std::io::Result<u16> {
    let n = state.generation_requests.fetch_add(1, Ordering::SeqCst);
    maybe_crash(n, &state.config);
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            let msg = json!({"error": {"message": format!("bad JSON: {e}")}}).to_string();
            return respond(out, 400, "application/json", msg.as_bytes());
        }
    };
    if should_fail(n, state.config.fail_rate) {
        let msg = json!({"error": {"message": "injected failure"}}).to_string();
        return respond(out, 500, "application/json", msg.as_bytes());
    }
    let ask = parse_ask(&body, chat);
    let id = state.next_id.fetch_add(1, Ordering::SeqCst);
    let reply = Reply {
        id: if chat {
            format!("chatcmpl-{id}")
        } else {
            format!("cmpl-{id}")
        },
        chat,
        model: state.config.model.clone(),
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    let mut timing = state.config.clone();
    if timing.jitter > 0.0 {
        let f = (timing.jitter * normal(mix(timing.speed_seed, id, 1))).exp();
        timing.ttft = timing.ttft.mul_f64(f);
        timing.itl = timing.itl.mul_f64(f);
    }
    // Held until the reply is sent: the request occupies its slot while it generates.
    let _slot = match timing.max_batch {
        Some(max) if timing.virtual_time => {
            let service = timing.ttft + timing.itl * (ask.tokens.saturating_sub(1) as u32);
            let t0 = body.get("mock_t0_ms").and_then(Value::as_f64);
            let clock = body.get("mock_clock").and_then(Value::as_str).unwrap_or("");
            if let Some(t0) = t0 {
                let wait = state
                    .batch
                    .virtual_wait(max, clock, t0, service.as_secs_f64() * 1000.0);
                timing.ttft += Duration::from_secs_f64(wait / 1000.0);
            }
            Slot(None)
        }
        Some(max) => state.batch.acquire(max),
        None => Slot(None),
    };
    if ask.stream {
        stream_reply(out, &reply, &ask, &timing)
    } else {
        thread::sleep(timing.ttft + timing.itl * (ask.tokens.saturating_sub(1) as u32));
        let text: String = (0..ask.tokens).map(word).collect();
        respond(
            out,
            200,
            "application/json",
            reply.whole(&text, &ask).to_string().as_bytes(),
        )
    }
}

/// This process's start number: the count kept in `counter` (0 when absent), then incremented.
fn next_start(counter: Option<&std::path::Path>) -> Result<u64, String> {
    let Some(path) = counter else {
        return Ok(u64::from(std::process::id()));
    };
    let n = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok())
        .unwrap_or(0);
    std::fs::write(path, format!("{}\n", n + 1))
        .map_err(|e| format!("--speed-counter {}: {e}", path.display()))?;
    Ok(n)
}

/// A well-mixed 64-bit value of three inputs (splitmix64 finaliser).
fn mix(a: u64, b: u64, c: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(b.rotate_left(17))
        .wrapping_add(c.rotate_left(41))
        .wrapping_add(0x2545_f491_4f6c_dd1d);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A standard normal draw from one 64-bit value (Box-Muller on its two halves).
fn normal(bits: u64) -> f64 {
    let u1 = ((bits >> 32) as f64 + 0.5) / 4_294_967_296.0;
    let u2 = ((bits & 0xffff_ffff) as f64 + 0.5) / 4_294_967_296.0;
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Exits the whole process abruptly, like a server dying mid-sweep.
fn maybe_crash(n: u64, c: &Config) {
    let Some(after) = c.crash_after else { return };
    if n < after {
        return;
    }
    if let Some(marker) = &c.crash_once {
        if marker.exists() {
            return;
        }
        let _ = std::fs::write(marker, b"crashed\n");
    }
    eprintln!("ERROR:    injected crash after {after} generation requests");
    std::process::exit(3);
}

/// Deterministic failures: request n fails when the running share of failures falls behind the rate.
fn should_fail(n: u64, rate: f64) -> bool {
    rate > 0.0 && ((n + 1) as f64 * rate).floor() > (n as f64 * rate).floor()
}

/// One output token: a common English word, so client tokenizers count about one token each.
fn word(i: u64) -> String {
    const WORDS: [&str; 8] = [" the", " of", " and", " to", " in", " is", " that", " it"];
    WORDS[(i % WORDS.len() as u64) as usize].to_string()
}

struct Reply {
    id: String,
    chat: bool,
    model: String,
    created: u64,
}

impl Reply {
    fn object(&self, stream: bool) -> &'static str {
        match (self.chat, stream) {
            (true, true) => "chat.completion.chunk",
            (true, false) => "chat.completion",
            (false, _) => "text_completion",
        }
    }

    fn choice(&self, text: Option<&str>, finish: Option<&str>, first: bool) -> Value {
        if self.chat {
            let delta = match (text, first) {
                (Some(t), true) => json!({"role": "assistant", "content": t}),
                (Some(t), false) => json!({"content": t}),
                (None, _) => json!({}),
            };
            json!({"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish})
        } else {
            json!({"index": 0, "text": text.unwrap_or(""), "logprobs": null, "finish_reason": finish})
        }
    }

    fn chunk(&self, choices: Vec<Value>, usage: Option<Value>) -> Value {
        let mut v = json!({"id": self.id, "object": self.object(true), "created": self.created,
            "model": self.model, "choices": choices});
        if let Some(u) = usage {
            v["usage"] = u;
        }
        v
    }

    fn whole(&self, text: &str, ask: &Ask) -> Value {
        let choice = if self.chat {
            json!({"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"})
        } else {
            json!({"index": 0, "text": text, "finish_reason": "length"})
        };
        json!({"id": self.id, "object": self.object(false), "created": self.created,
            "model": self.model, "choices": [choice], "usage": usage(ask)})
    }
}

fn usage(ask: &Ask) -> Value {
    json!({"prompt_tokens": ask.prompt_tokens, "completion_tokens": ask.tokens,
        "total_tokens": ask.prompt_tokens + ask.tokens})
}

/// SSE over chunked transfer encoding: one token per event, then finish, usage and [DONE].
fn stream_reply(out: &mut TcpStream, reply: &Reply, ask: &Ask, c: &Config) -> std::io::Result<u16> {
    out.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n",
    )?;
    let start = Instant::now();
    for i in 0..ask.tokens {
        // Pace against the start time so sleeps do not add up drift.
        let due = c.ttft + c.itl * (i as u32);
        let mut event = reply.chunk(vec![reply.choice(Some(&word(i)), None, i == 0)], None);
        if c.virtual_time {
            event["mock_t_ms"] = json!(due.as_secs_f64() * 1000.0);
        } else if let Some(wait) = due.checked_sub(start.elapsed()) {
            thread::sleep(wait);
        }
        send_event(out, &event.to_string())?;
    }
    send_event(
        out,
        &reply
            .chunk(vec![reply.choice(None, Some("length"), false)], None)
            .to_string(),
    )?;
    if ask.include_usage {
        send_event(out, &reply.chunk(vec![], Some(usage(ask))).to_string())?;
    }
    send_event(out, "[DONE]")?;
    out.write_all(b"0\r\n\r\n")?;
    out.flush()?;
    Ok(200)
}

fn send_event(out: &mut TcpStream, data: &str) -> std::io::Result<()> {
    let event = format!("data: {data}\n\n");
    write!(out, "{:x}\r\n{event}\r\n", event.len())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_rate_spreads_failures_evenly() {
        let fails: Vec<bool> = (0..10).map(|n| should_fail(n, 0.3)).collect();
        assert_eq!(fails.iter().filter(|f| **f).count(), 3);
        assert!(!(0..10).any(|n| should_fail(n, 0.0)));
        assert!((0..10).all(|n| should_fail(n, 1.0)));
    }

    /// Two slots, requests of 100 ms sent at 0, 0, 0, 50 on one clock: the third waits for the
    /// first slot (100), the fourth for the second (100 - 50); a new clock starts empty.
    #[test]
    fn virtual_queue_takes_the_slot_that_frees_first() {
        let b = Batch::default();
        let waits: Vec<f64> = [0.0, 0.0, 0.0, 50.0]
            .iter()
            .map(|t0| b.virtual_wait(2, "a", *t0, 100.0))
            .collect();
        assert_eq!(waits, [0.0, 0.0, 100.0, 50.0]);
        assert_eq!(b.virtual_wait(2, "b", 0.0, 100.0), 0.0);
    }

    #[test]
    fn asks_for_max_tokens_raised_by_min_tokens() {
        let body = json!({"messages": [{"role": "user", "content": "a b c"}], "max_completion_tokens": 4,
            "min_tokens": 6, "stream": true, "stream_options": {"include_usage": true}});
        let ask = parse_ask(&body, true);
        assert_eq!(
            (ask.tokens, ask.prompt_tokens, ask.stream, ask.include_usage),
            (6, 3, true, true)
        );
    }
}
