//! The Testbed service of roam 7.3.0's spec/spec-proto (declared in
//! signatures.rs), served and called by the peer:
//!
//!   serve-testbed ADDR   listens on ADDR, serves Testbed on the root connection
//!                        (acceptor) and on every virtual connection opened,
//!                        until the counterpart ends the session
//!   call-testbed ADDR    connects to ADDR (initiator) and calls every Testbed
//!                        method with fixed values, checking each result;
//!                        `ok <method>` or `FAIL <method>: <why>` per method
//!
//! The semantics are those roam's conformance suite expects of a Testbed
//! subject (spec/spec-tests, and the reference subject it drives).

use std::time::Duration;

use roam::{Rx, Tx};
use roam_core::{AcceptedConnection, ConnectionAcceptor, ConnectionHandle, Driver, acceptor, initiator};
use roam_types::{ConnectionId, ConnectionSettings, Metadata, MetadataEntry, RoamError};
use tokio::task::JoinHandle;

use crate::out;
use crate::session::{hello_metadata, print_peer_hello};
use crate::signatures::{
    Canvas, Color, LookupError, Message, Person, Point, Rectangle, Shape, Testbed, TestbedClient,
    TestbedDispatcher, TestbedMathError,
};
use crate::transport::{self, Listener, Stream, sniffing_link};

// ---- the server -------------------------------------------------------------------

#[derive(Clone)]
pub struct TestbedService;

fn served(method: &str) {
    out::line(format!("SERVED method={method}"));
}

/// The people `lookup` knows; every other id is NotFound.
fn known_person(id: u32) -> Option<Person> {
    let (name, age, email) = match id {
        1 => ("Alice", 30, Some("alice@example.com")),
        2 => ("Bob", 25, None),
        3 => ("Charlie", 35, Some("charlie@example.com")),
        _ => return None,
    };
    Some(Person { name: name.into(), age, email: email.map(String::from) })
}

impl Testbed for TestbedService {
    async fn echo(&self, message: String) -> String {
        served("echo");
        message
    }

    async fn reverse(&self, message: String) -> String {
        served("reverse");
        // By Unicode scalar value, so the result is still valid UTF-8.
        let mut chars: Vec<char> = message.chars().collect();
        chars.reverse();
        chars.into_iter().collect()
    }

    async fn divide(&self, dividend: i64, divisor: i64) -> Result<i64, TestbedMathError> {
        served("divide");
        match (dividend, divisor) {
            (_, 0) => Err(TestbedMathError::DivisionByZero),
            (a, b) => a.checked_div(b).ok_or(TestbedMathError::Overflow),
        }
    }

    async fn lookup(&self, id: u32) -> Result<Person, LookupError> {
        served("lookup");
        known_person(id).ok_or(LookupError::NotFound)
    }

    async fn sum(&self, mut numbers: Rx<i32>) -> i64 {
        served("sum");
        let mut total = 0i64;
        while let Ok(Some(n)) = numbers.recv().await {
            total += i64::from(*n);
        }
        total
    }

    async fn generate(&self, count: u32, output: Tx<i32>) {
        served("generate");
        let mut next = 0i32;
        while (next as u32) < count {
            if output.send(next).await.is_err() {
                break;
            }
            next += 1;
        }
        let _ = output.close(Default::default()).await;
    }

    async fn transform(&self, mut input: Rx<String>, output: Tx<String>) {
        served("transform");
        // Every string that comes in goes straight back out, in order.
        while let Ok(Some(item)) = input.recv().await {
            let text: String = String::clone(&item);
            if output.send(text).await.is_err() {
                break;
            }
        }
        let _ = output.close(Default::default()).await;
    }

    async fn echo_point(&self, point: Point) -> Point {
        served("echo_point");
        point
    }

    async fn create_person(&self, name: String, age: u8, email: Option<String>) -> Person {
        served("create_person");
        Person { name, age, email }
    }

    async fn rectangle_area(&self, rect: Rectangle) -> f64 {
        served("rectangle_area");
        let w = (i64::from(rect.bottom_right.x) - i64::from(rect.top_left.x)).abs() as f64;
        let h = (i64::from(rect.bottom_right.y) - i64::from(rect.top_left.y)).abs() as f64;
        w * h
    }

    async fn parse_color(&self, name: String) -> Option<Color> {
        served("parse_color");
        [("red", Color::Red), ("green", Color::Green), ("blue", Color::Blue)]
            .into_iter()
            .find(|(n, _)| name.eq_ignore_ascii_case(n))
            .map(|(_, c)| c)
    }

    async fn shape_area(&self, shape: Shape) -> f64 {
        served("shape_area");
        shape_area_of(&shape)
    }

    async fn create_canvas(&self, name: String, shapes: Vec<Shape>, background: Color) -> Canvas {
        served("create_canvas");
        Canvas { name, shapes, background }
    }

    async fn process_message(&self, msg: Message) -> Message {
        served("process_message");
        match msg {
            Message::Text(text) => Message::Text(format!("processed: {text}")),
            Message::Number(n) => Message::Number(n.wrapping_mul(2)),
            Message::Data(mut bytes) => {
                bytes.reverse();
                Message::Data(bytes)
            }
        }
    }

    async fn get_points(&self, count: u32) -> Vec<Point> {
        served("get_points");
        (0..count).map(|i| Point { x: i as i32, y: (i as i32).wrapping_mul(2) }).collect()
    }

    async fn swap_pair(&self, pair: (i32, String)) -> (String, i32) {
        served("swap_pair");
        let (number, text) = pair;
        (text, number)
    }
}

fn shape_area_of(shape: &Shape) -> f64 {
    match shape {
        Shape::Circle { radius } => std::f64::consts::PI * radius * radius,
        Shape::Rectangle { width, height } => width * height,
        Shape::Point => 0.0,
    }
}

/// Accepts every virtual connection the counterpart opens and serves
/// Testbed on it too.
struct ServeEveryOpen;

impl ConnectionAcceptor for ServeEveryOpen {
    fn accept(
        &self,
        conn_id: ConnectionId,
        peer_settings: &ConnectionSettings,
        metadata: &[MetadataEntry],
    ) -> Result<AcceptedConnection, Metadata<'static>> {
        out::line(format!("INBOUND_OPEN conn={} {}", conn_id.0, out::metadata(metadata)));
        Ok(AcceptedConnection {
            settings: ConnectionSettings { parity: peer_settings.parity.other(), max_concurrent_requests: 64 },
            metadata: out::md1("accepted-by", "roam-rust"),
            setup: Box::new(|handle: ConnectionHandle| {
                let mut driver = Driver::new(handle, TestbedDispatcher::new(TestbedService));
                tokio::spawn(async move { driver.run().await });
            }),
        })
    }
}

struct Session {
    client: TestbedClient,
    task: JoinHandle<()>,
}

/// A roam-core session on `stream` with Testbed served on its root (the
/// acceptor also serves it on every virtual connection); prints
/// HANDSHAKE ok and PEER_HELLO like the scenarios do.
async fn establish(stream: Stream, as_acceptor: bool) -> Result<Session, String> {
    let (link, received) = sniffing_link(stream);
    let (task_tx, task_rx) = tokio::sync::oneshot::channel::<JoinHandle<()>>();
    let spawn = move |fut| {
        let _ = task_tx.send(tokio::spawn(fut));
    };
    let dispatcher = TestbedDispatcher::new(TestbedService);
    let result = if as_acceptor {
        acceptor(link)
            .metadata(hello_metadata())
            .on_connection(ServeEveryOpen)
            .spawn_fn(spawn)
            .establish::<TestbedClient>(dispatcher)
            .await
    } else {
        initiator(link).metadata(hello_metadata()).spawn_fn(spawn).establish::<TestbedClient>(dispatcher).await
    };
    let (client, _handle) = result.map_err(|e| {
        out::line(format!("HANDSHAKE_FAILED reason={}", out::word(&e.to_string())));
        format!("handshake failed: {e}")
    })?;
    out::line("HANDSHAKE ok");
    print_peer_hello(&received);
    let task = task_rx.await.map_err(|_| "the session task was never spawned".to_string())?;
    Ok(Session { client, task })
}

/// serve-testbed: one session, served until the counterpart ends it.
pub async fn serve(addr: &str) -> Result<(), String> {
    let listener = Listener::bind(&transport::parse_addr(addr)?).await?;
    let stream = listener.accept().await?;
    let s = establish(stream, true).await?;
    let _root = s.client; // held: the session lasts until the counterpart ends it
    let _ = s.task.await;
    out::line("SESSION_ENDED");
    Ok(())
}

// ---- the client -------------------------------------------------------------------

/// Each method's checks get this long (a hung call fails its method alone).
const PER_METHOD: Duration = Duration::from_secs(10);

type Check = Result<(), String>;

fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Check {
    if got == want { Ok(()) } else { Err(format!("{what}: expected {want:?}, got {got:?}")) }
}

/// Ok(value) of a call, or why not.
fn value<T, E: std::fmt::Debug>(what: &str, r: Result<T, RoamError<E>>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: call failed: {e:?}"))
}

fn close_to(what: &str, got: f64, want: f64) -> Check {
    let tolerance = 1e-9 * want.abs().max(1.0);
    if (got - want).abs() <= tolerance {
        Ok(())
    } else {
        Err(format!("{what}: expected {want:?}, got {got:?}"))
    }
}

async fn check_echo(c: &TestbedClient) -> Check {
    for text in ["hello", "", "héllo wörld ✓ 🦀"] {
        let got = value(&format!("echo({text:?})"), c.echo(text.to_string()).await)?;
        expect_eq(&format!("echo({text:?})"), got.as_str(), text)?;
    }
    // Pipelined: three calls in flight at once, each gets its own answer.
    let (a, b, d) = tokio::join!(c.echo("first".into()), c.echo("second".into()), c.echo("third".into()));
    expect_eq("pipelined echo", (value("echo", a)?, value("echo", b)?, value("echo", d)?),
        ("first".to_string(), "second".to_string(), "third".to_string()))
}

async fn check_reverse(c: &TestbedClient) -> Check {
    for (text, want) in [("hello", "olleh"), ("", ""), ("abc déf ✓", "✓ féd cba")] {
        let got = value(&format!("reverse({text:?})"), c.reverse(text.to_string()).await)?;
        expect_eq(&format!("reverse({text:?})"), got.as_str(), want)?;
    }
    Ok(())
}

async fn check_divide(c: &TestbedClient) -> Check {
    expect_eq("divide(84, 2)", value("divide(84, 2)", c.divide(84, 2).await)?, 42)?;
    expect_eq("divide(-7, 2)", value("divide(-7, 2)", c.divide(-7, 2).await)?, -3)?;
    match c.divide(10, 0).await {
        Err(RoamError::User(TestbedMathError::DivisionByZero)) => {}
        other => return Err(format!("divide(10, 0): expected Err(User(DivisionByZero)), got {other:?}")),
    }
    match c.divide(i64::MIN, -1).await {
        Err(RoamError::User(TestbedMathError::Overflow)) => Ok(()),
        other => Err(format!("divide(i64::MIN, -1): expected Err(User(Overflow)), got {other:?}")),
    }
}

async fn check_lookup(c: &TestbedClient) -> Check {
    for id in [1u32, 2, 3] {
        let got = value(&format!("lookup({id})"), c.lookup(id).await)?;
        expect_eq(&format!("lookup({id})"), Some(got), known_person(id))?;
    }
    match c.lookup(99).await {
        Err(RoamError::User(LookupError::NotFound)) => Ok(()),
        other => Err(format!("lookup(99): expected Err(User(NotFound)), got {other:?}")),
    }
}

/// Sends `items` on a fresh channel (then closes it) while the call runs.
fn feed<T: facet::Facet<'static> + Send + Sync + 'static>(items: Vec<T>) -> Rx<T>
where
    Tx<T>: Send,
{
    let (tx, rx) = roam::channel::<T>();
    tokio::spawn(async move {
        for item in items {
            if tx.send(item).await.is_err() {
                return;
            }
        }
        let _ = tx.close(Default::default()).await;
    });
    rx
}

/// Collects everything that arrives on a fresh channel until it closes.
fn collect<T: facet::Facet<'static> + Clone + Send + Sync + 'static>() -> (Tx<T>, JoinHandle<Vec<T>>)
where
    Rx<T>: Send,
{
    let (tx, mut rx) = roam::channel::<T>();
    let collector = tokio::spawn(async move {
        let mut got = Vec::new();
        while let Ok(Some(item)) = rx.recv().await {
            got.push(T::clone(&item));
        }
        got
    });
    (tx, collector)
}

async fn check_sum(c: &TestbedClient) -> Check {
    let got = value("sum(1..=100)", c.sum(feed((1..=100).collect())).await)?;
    expect_eq("sum(1..=100)", got, 5050)?;
    let got = value("sum([])", c.sum(feed(Vec::new())).await)?;
    expect_eq("sum([])", got, 0)?;
    // The total is an i64: it must not wrap at i32.
    let items = vec![i32::MAX, i32::MAX, -5, 10];
    let want = 2 * i64::from(i32::MAX) + 5;
    let got = value("sum([i32::MAX, i32::MAX, -5, 10])", c.sum(feed(items)).await)?;
    expect_eq("sum([i32::MAX, i32::MAX, -5, 10])", got, want)
}

async fn check_generate(c: &TestbedClient) -> Check {
    for count in [5u32, 0, 300] {
        let (tx, collector) = collect::<i32>();
        value(&format!("generate({count})"), c.generate(count, tx).await)?;
        let got = collector.await.map_err(|e| format!("generate({count}): collector: {e}"))?;
        expect_eq(&format!("generate({count}) items"), got, (0..count as i32).collect::<Vec<_>>())?;
    }
    Ok(())
}

async fn check_transform(c: &TestbedClient) -> Check {
    let inputs: Vec<String> = ["hello", "world", "", "ünïcödé ✓", "test"].iter().map(|s| s.to_string()).collect();
    let (tx, collector) = collect::<String>();
    value("transform", c.transform(feed(inputs.clone()), tx).await)?;
    let got = collector.await.map_err(|e| format!("transform: collector: {e}"))?;
    expect_eq("transform items", got, inputs)?;
    // Nothing in, nothing out (and the output still closes).
    let (tx, collector) = collect::<String>();
    value("transform([])", c.transform(feed(Vec::new()), tx).await)?;
    let got = collector.await.map_err(|e| format!("transform([]): collector: {e}"))?;
    expect_eq("transform([]) items", got, Vec::new())
}

async fn check_echo_point(c: &TestbedClient) -> Check {
    for p in [Point { x: 3, y: -4 }, Point { x: i32::MIN, y: i32::MAX }] {
        let got = value("echo_point", c.echo_point(p.clone()).await)?;
        expect_eq("echo_point", got, p)?;
    }
    Ok(())
}

async fn check_create_person(c: &TestbedClient) -> Check {
    let got = value("create_person", c.create_person("Dana".into(), 41, Some("dana@example.com".into())).await)?;
    expect_eq("create_person(Dana)", got, Person { name: "Dana".into(), age: 41, email: Some("dana@example.com".into()) })?;
    let got = value("create_person", c.create_person("Éve".into(), 255, None).await)?;
    expect_eq("create_person(Éve)", got, Person { name: "Éve".into(), age: 255, email: None })
}

async fn check_rectangle_area(c: &TestbedClient) -> Check {
    let rect = Rectangle { top_left: Point { x: 1, y: 2 }, bottom_right: Point { x: 4, y: 6 }, label: Some("r".into()) };
    close_to("rectangle_area((1,2)-(4,6))", value("rectangle_area", c.rectangle_area(rect).await)?, 12.0)?;
    // Corners the other way round: the area is still positive.
    let rect = Rectangle { top_left: Point { x: 10, y: 10 }, bottom_right: Point { x: 0, y: 5 }, label: None };
    close_to("rectangle_area((10,10)-(0,5))", value("rectangle_area", c.rectangle_area(rect).await)?, 50.0)
}

async fn check_parse_color(c: &TestbedClient) -> Check {
    for (name, want) in [
        ("red", Some(Color::Red)),
        ("green", Some(Color::Green)),
        ("blue", Some(Color::Blue)),
        ("Blue", Some(Color::Blue)),
        ("purple", None),
        ("", None),
    ] {
        let got = value(&format!("parse_color({name:?})"), c.parse_color(name.into()).await)?;
        expect_eq(&format!("parse_color({name:?})"), got, want)?;
    }
    Ok(())
}

fn sample_shapes() -> Vec<Shape> {
    vec![Shape::Circle { radius: 2.0 }, Shape::Rectangle { width: 3.0, height: 4.5 }, Shape::Point]
}

async fn check_shape_area(c: &TestbedClient) -> Check {
    for shape in sample_shapes() {
        let want = shape_area_of(&shape);
        let what = format!("shape_area({shape:?})");
        close_to(&what, value(&what, c.shape_area(shape).await)?, want)?;
    }
    Ok(())
}

async fn check_create_canvas(c: &TestbedClient) -> Check {
    let got = value("create_canvas", c.create_canvas("sketch".into(), sample_shapes(), Color::Green).await)?;
    expect_eq("create_canvas", got, Canvas { name: "sketch".into(), shapes: sample_shapes(), background: Color::Green })?;
    let got = value("create_canvas", c.create_canvas("".into(), Vec::new(), Color::Red).await)?;
    expect_eq("create_canvas(empty)", got, Canvas { name: "".into(), shapes: Vec::new(), background: Color::Red })
}

async fn check_process_message(c: &TestbedClient) -> Check {
    for (msg, want) in [
        (Message::Text("hi".into()), Message::Text("processed: hi".into())),
        (Message::Number(21), Message::Number(42)),
        (Message::Number(-300), Message::Number(-600)),
        (Message::Data(vec![1, 2, 3, 255]), Message::Data(vec![255, 3, 2, 1])),
        (Message::Data(Vec::new()), Message::Data(Vec::new())),
    ] {
        let what = format!("process_message({msg:?})");
        expect_eq(&what, value(&what, c.process_message(msg.clone()).await)?, want)?;
    }
    Ok(())
}

async fn check_get_points(c: &TestbedClient) -> Check {
    for count in [4u32, 0, 100] {
        let want: Vec<Point> = (0..count as i32).map(|i| Point { x: i, y: 2 * i }).collect();
        let what = format!("get_points({count})");
        expect_eq(&what, value(&what, c.get_points(count).await)?, want)?;
    }
    Ok(())
}

async fn check_swap_pair(c: &TestbedClient) -> Check {
    for (n, s) in [(7, "seven"), (-1, "")] {
        let what = format!("swap_pair(({n}, {s:?}))");
        expect_eq(&what, value(&what, c.swap_pair((n, s.to_string())).await)?, (s.to_string(), n))?;
    }
    Ok(())
}

/// Runs one method's checks with a time limit and prints its line.
async fn report(method: &str, check: impl Future<Output = Check>) -> bool {
    match tokio::time::timeout(PER_METHOD, check).await {
        Ok(Ok(())) => {
            out::line(format!("ok {method}"));
            true
        }
        Ok(Err(why)) => {
            out::line(format!("FAIL {method}: {}", why.replace('\n', " ")));
            false
        }
        Err(_) => {
            out::line(format!("FAIL {method}: timeout after {}s", PER_METHOD.as_secs()));
            false
        }
    }
}

/// call-testbed: every method, in the trait's order. Err lists the failures.
pub async fn call(addr: &str) -> Result<(), String> {
    let stream = transport::connect(&transport::parse_addr(addr)?).await?;
    let s = establish(stream, false).await?;
    let c = &s.client;
    let mut failed: Vec<&str> = Vec::new();
    macro_rules! run {
        ($($method:ident => $check:ident),* $(,)?) => {
            $( if !report(stringify!($method), $check(c)).await { failed.push(stringify!($method)); } )*
        };
    }
    run!(
        echo => check_echo,
        reverse => check_reverse,
        divide => check_divide,
        lookup => check_lookup,
        sum => check_sum,
        generate => check_generate,
        transform => check_transform,
        echo_point => check_echo_point,
        create_person => check_create_person,
        rectangle_area => check_rectangle_area,
        parse_color => check_parse_color,
        shape_area => check_shape_area,
        create_canvas => check_create_canvas,
        process_message => check_process_message,
        get_points => check_get_points,
        swap_pair => check_swap_pair,
    );
    // Done: letting go of the root ends the session (nothing else is open).
    drop(s.client);
    if tokio::time::timeout(Duration::from_secs(5), s.task).await.is_ok() {
        out::line("SESSION_ENDED");
    }
    if failed.is_empty() { Ok(()) } else { Err(failed.join(",")) }
}
