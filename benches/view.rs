//! `view()` cost per frame on a 200k-path tree (TestBackend, 200×60),
//! scrolling through a fully expanded tree. The bar: < 16 ms per frame.
//! Then the cost of a layer step (the tree of the next layer down, built
//! in the background) on a 40-layer, 200k-path image: from scratch versus
//! reusing the previous step's squash.
//!
//! Then the same at 1 M paths (issue 12): a frame, a keypress (down,
//! expanding and collapsing a directory of 100 k children) and a layer
//! step on a 10-layer, 1 M-path image, timing the background job, the UI
//! thread taking its result, and frames drawn while the job runs.
//!
//! Then a range of layers (issue 13 §4): every layer of the 40-layer,
//! 200k-path image as one step — the background job, the UI thread taking
//! its (fully expanded) tree, and frames of it.
//!
//! `cargo bench --bench view` (harness = false: plain timing, no extra
//! dependency); `-- 200k`, `-- 1m` or `-- range` runs one part only.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use stagediff::image::{ContentHash, Entry, EntryKind, Image, Layer};
use stagediff::ui::app::{Compared, LayerMode, Loaded, ScopeRequest, Scoped};
use stagediff::ui::keys::KeyMap;
use stagediff::ui::{update, view, Action, Model};
use std::time::{Duration, Instant};

const PATHS: usize = 200_000;

fn entry(path: String, kind: EntryKind, size: u64, hash: u128) -> Entry {
    Entry {
        path: path.into_bytes().into_boxed_slice(),
        kind,
        size,
        mode: if kind == EntryKind::Dir { 0o755 } else { 0o644 },
        uid: 0,
        gid: 0,
        link: None,
        hash: (kind == EntryKind::File).then_some(ContentHash(hash)),
        device: None,
        flags: 0,
    }
}

/// 200k paths: 40 top directories × 50 subdirectories × 99 files.
fn big_image(reference: &str, paths: usize) -> Image {
    let mut entries = Vec::with_capacity(paths);
    let mut n = 0u128;
    'outer: for a in 0..40 {
        entries.push(entry(format!("usr{a}"), EntryKind::Dir, 0, 0));
        for b in 0..50 {
            entries.push(entry(format!("usr{a}/lib{b}"), EntryKind::Dir, 0, 0));
            for c in 0..99 {
                if entries.len() >= paths {
                    break 'outer;
                }
                n += 1;
                entries.push(entry(
                    format!("usr{a}/lib{b}/file-{c}-with-a-longer-name.so"),
                    EntryKind::File,
                    (n as u64 * 7919) % 5_000_000,
                    n,
                ));
            }
        }
    }
    let layer = Layer {
        diff_id: "sha256:0".into(),
        created_by: Some("ADD big in /".into()),
        ..Layer::from_entries(0, entries)
    };
    Image::from_layers(reference, vec![layer])
}

/// `layers` layers of `per_layer` files each; every layer also rewrites
/// one file of the layer below and deletes another.
fn layered_image(layers: usize, per_layer: usize) -> Image {
    let mut image = big_image("big:layered", 0);
    image.layers = (0..layers)
        .map(|i| {
            let mut entries = vec![entry(format!("l{i}"), EntryKind::Dir, 0, 0)];
            for f in 0..per_layer {
                entries.push(entry(
                    format!("l{i}/f{f}.so"),
                    EntryKind::File,
                    (f as u64 * 7919) % 100_000,
                    (i * per_layer + f) as u128,
                ));
            }
            if i > 0 {
                entries.push(entry(format!("l{}/f0.so", i - 1), EntryKind::File, 1, 1));
                entries.push(entry(
                    format!("l{}/.wh.f1.so", i - 1),
                    EntryKind::Whiteout,
                    0,
                    0,
                ));
            }
            Layer::from_entries(i, entries)
        })
        .collect();
    image
}

/// Times a walk down every layer (what holding ↓ in the layer list asks
/// for); returns per-step durations.
fn layer_steps(build: impl Fn(ScopeRequest) -> Scoped, layers: usize) -> Vec<Duration> {
    (0..layers)
        .map(|layer| {
            let request = ScopeRequest {
                generation: layer as u64,
                slot: 0,
                layer,
                mode: LayerMode::Aggregated,
                first: None,
            };
            let t = Instant::now();
            std::hint::black_box(build(request));
            t.elapsed()
        })
        .collect()
}

fn key(m: &mut Model, code: KeyCode) {
    update(m, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// Times `frames` renders while paging down; returns per-frame durations.
fn frames(m: &mut Model, frames: usize) -> Vec<Duration> {
    let mut term = Terminal::new(TestBackend::new(m.size.0, m.size.1)).expect("test backend");
    let mut out = Vec::with_capacity(frames);
    for _ in 0..frames {
        key(m, KeyCode::PageDown);
        let t = Instant::now();
        term.draw(|f| view(m, f)).expect("draw");
        out.push(t.elapsed());
    }
    out
}

fn report(what: &str, d: Vec<Duration>) -> Duration {
    report_per(what, "frame", d)
}

fn report_per(what: &str, unit: &str, mut d: Vec<Duration>) -> Duration {
    d.sort();
    let median = d[d.len() / 2];
    let p95 = d[d.len() * 95 / 100];
    println!(
        "{what}: median {:.3} ms/{unit}, p95 {:.3} ms, max {:.3} ms over {} {unit}s",
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        d[d.len() - 1].as_secs_f64() * 1e3,
        d.len()
    );
    median
}

fn main() {
    let which: Vec<String> = std::env::args().skip(1).collect();
    let want = |part: &str| {
        let parts = ["200k", "1m", "range"];
        !which.iter().any(|a| parts.contains(&a.as_str())) || which.iter().any(|a| a == part)
    };
    let mut over = false;
    if want("200k") {
        over |= bench_200k();
    }
    if want("1m") {
        over |= bench_1m();
    }
    if want("range") {
        over |= bench_range();
    }
    if over {
        eprintln!("view() or a keypress is over the 16 ms frame budget");
        std::process::exit(1);
    }
}

/// The 200k-path figures; whether a frame is over budget.
fn bench_200k() -> bool {
    let size = (200, 60);
    let t = Instant::now();
    let image = big_image("big:single", PATHS);
    let loaded = Loaded::new(image.clone());
    println!(
        "built a {}-node tree in {:.0} ms",
        loaded.tree.len() - 1,
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut m = Model::new(vec!["big:single".into()], KeyMap::default(), Instant::now());
    update(&mut m, Action::Resize(size.0, size.1));
    update(
        &mut m,
        Action::Loaded {
            slot: 0,
            result: Ok(Box::new(loaded)),
        },
    );
    // A filter that matches every path opens the whole tree: 200k rows.
    let t = Instant::now();
    key(&mut m, KeyCode::Char('/'));
    key(&mut m, KeyCode::Char('/'));
    key(&mut m, KeyCode::Enter);
    println!(
        "filter + flatten to {} rows in {:.1} ms",
        m.pane().map_or(0, |p| p.rows.len()),
        t.elapsed().as_secs_f64() * 1e3
    );
    let explorer = report("explorer view()", frames(&mut m, 400));

    // The comparison: the same 200k paths against a small AFTER.
    let after = big_image("big:multi", 2_000);
    let t = Instant::now();
    let compared = Compared::new(&image, &after, &stagediff::analysis::Rules::builtin());
    println!(
        "compare + arrange in {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut m = Model::new(
        vec!["big:single".into(), "big:multi".into()],
        KeyMap::default(),
        Instant::now(),
    );
    update(&mut m, Action::Resize(size.0, size.1));
    for (slot, img) in [image, after].into_iter().enumerate() {
        update(
            &mut m,
            Action::Loaded {
                slot,
                result: Ok(Box::new(Loaded::new(img))),
            },
        );
    }
    update(&mut m, Action::Compared(Box::new(compared)));
    // The first screen, the overview (its rows are arranged with the
    // comparison; a frame only lays them out).
    let overview = report("overview view()", frames(&mut m, 400));
    key(&mut m, KeyCode::Char('/'));
    key(&mut m, KeyCode::Char('/'));
    key(&mut m, KeyCode::Enter);
    let compare = report("compare view()", frames(&mut m, 400));

    let layered = Loaded::new(layered_image(40, 5_000));
    let full = report_per(
        "layer step, squash from layer 0",
        "step",
        layer_steps(|r| Scoped::new(&layered.image, r), 40),
    );
    let reused = report_per(
        "layer step, reusing the last squash",
        "step",
        layer_steps(|r| Scoped::from_loaded(&layered, r), 40),
    );
    println!(
        "layer step: {:.2}x faster reusing the squash",
        full.as_secs_f64() / reused.as_secs_f64()
    );

    let budget = Duration::from_millis(16);
    explorer > budget || compare > budget || overview > budget
}

/// A range of all 40 layers of the 200k-path layered image; whether taking
/// its result or a frame of it is over budget.
fn bench_range() -> bool {
    let layers = 40;
    let loaded = Loaded::new(layered_image(layers, 5_000));
    let mut m = Model::new(
        vec!["big:layered".into()],
        KeyMap::default(),
        Instant::now(),
    );
    update(&mut m, Action::Resize(200, 60));
    update(
        &mut m,
        Action::Loaded {
            slot: 0,
            result: Ok(Box::new(loaded)),
        },
    );
    m.effects.clear();
    key(&mut m, KeyCode::Char('1'));
    key(&mut m, KeyCode::Tab);
    let t = Instant::now();
    key(&mut m, KeyCode::Char('v'));
    key(&mut m, KeyCode::Home);
    let keys = t.elapsed();
    let rules = std::sync::Arc::new(stagediff::analysis::Rules::builtin());
    let (mut job_time, mut apply) = (Duration::ZERO, Duration::ZERO);
    // The first request (the last layer alone) then the whole range.
    while let Some(i) = m
        .effects
        .iter()
        .position(|e| matches!(e, stagediff::ui::app::Effect::Scope(_)))
    {
        let effect = m.effects.remove(i);
        let job = stagediff::ui::app::job(&m, &effect, &rules).expect("a range job");
        let t = Instant::now();
        let result = job();
        job_time = t.elapsed();
        let t = Instant::now();
        update(&mut m, result);
        apply = t.elapsed();
    }
    assert_eq!(m.range(), Some((0, 0, layers - 1)));
    println!(
        "range of {layers} layers: two keys {:.3} ms · job {:.0} ms · taking its {} rows {:.1} ms",
        keys.as_secs_f64() * 1e3,
        job_time.as_secs_f64() * 1e3,
        m.pane().map_or(0, |p| p.rows.len()),
        apply.as_secs_f64() * 1e3,
    );
    // Frames of it, the layers list focused (details show the totals).
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    let mut d = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        term.draw(|f| view(&m, f)).expect("draw");
        d.push(t.elapsed());
    }
    let frame = report("range view()", d);
    let budget = Duration::from_millis(16);
    frame > budget || apply > budget
}

/// 1 M paths in 10 layers: layer 0 holds `big/` with 100 k files, each
/// further layer 100 directories of 1,000 files, and rewrites one file and
/// deletes another of the layer below.
fn million_image() -> Image {
    let mut layers = Vec::new();
    let mut n = 0u128;
    let file = |path: String, n: &mut u128| {
        *n += 1;
        entry(path, EntryKind::File, (*n as u64 * 7919) % 50_000, *n)
    };
    let mut entries = vec![entry("big".into(), EntryKind::Dir, 0, 0)];
    for f in 0..100_000 {
        entries.push(file(format!("big/module-{f:06}.js"), &mut n));
    }
    layers.push(Layer::from_entries(0, entries));
    for l in 1..10 {
        let mut entries = Vec::with_capacity(100_102);
        for d in 0..100 {
            entries.push(entry(format!("l{l}/d{d:03}"), EntryKind::Dir, 0, 0));
            for f in 0..1_000 {
                entries.push(file(format!("l{l}/d{d:03}/f{f:04}.txt"), &mut n));
            }
        }
        let below = if l == 1 {
            "big/module-000000.js".to_string()
        } else {
            format!("l{}/d000/f0000.txt", l - 1)
        };
        entries.push(file(below, &mut n));
        let gone = if l == 1 {
            "big/.wh.module-000001.js".to_string()
        } else {
            format!("l{}/d000/.wh.f0001.txt", l - 1)
        };
        entries.push(entry(gone, EntryKind::Whiteout, 0, 0));
        layers.push(Layer::from_entries(l, entries));
    }
    Image::from_layers("big:million", layers)
}

/// Times `count` presses of `code`, each followed by a frame: (keypress,
/// frame) durations.
fn presses(
    m: &mut Model,
    term: &mut Terminal<TestBackend>,
    codes: &[KeyCode],
    count: usize,
) -> Vec<(Duration, Duration)> {
    (0..count)
        .map(|i| {
            let t = Instant::now();
            key(m, codes[i % codes.len()]);
            let k = t.elapsed();
            let t = Instant::now();
            term.draw(|f| view(m, f)).expect("draw");
            (k, t.elapsed())
        })
        .collect()
}

/// Splits paired (keypress, frame) timings, reports both; returns the
/// larger median.
fn report_pairs(what: &str, d: Vec<(Duration, Duration)>) -> Duration {
    let (keys, frames): (Vec<_>, Vec<_>) = d.into_iter().unzip();
    let k = report_per(&format!("{what}: keypress"), "key", keys);
    let f = report(&format!("{what}: frame after"), frames);
    k.max(f)
}

/// Walks the layer list with the keyboard as the runner would: each step's
/// build runs on a thread while the UI thread keeps drawing; then the UI
/// thread takes the result. Returns (job, frame while the job runs, taking
/// the result + a frame) durations.
#[allow(clippy::type_complexity)]
fn walk_layers(
    m: &mut Model,
    term: &mut Terminal<TestBackend>,
    code: KeyCode,
    steps: usize,
) -> (Vec<Duration>, Vec<Duration>, Vec<Duration>, Vec<Duration>) {
    let rules = std::sync::Arc::new(stagediff::analysis::Rules::builtin());
    let (mut jobs, mut during, mut take, mut keys) = (vec![], vec![], vec![], vec![]);
    for _ in 0..steps {
        let t = Instant::now();
        key(m, code);
        keys.push(t.elapsed());
        let Some(i) = m
            .effects
            .iter()
            .position(|e| matches!(e, stagediff::ui::app::Effect::Scope(_)))
        else {
            break;
        };
        let effect = m.effects.remove(i);
        let job = stagediff::ui::app::job(m, &effect, &rules).expect("a layer job");
        let t = Instant::now();
        let handle = std::thread::spawn(move || {
            let a = job();
            (a, t.elapsed())
        });
        while !handle.is_finished() {
            let t = Instant::now();
            term.draw(|f| view(m, f)).expect("draw");
            during.push(t.elapsed());
            std::thread::sleep(Duration::from_millis(2));
        }
        let (action, took) = handle.join().expect("the layer job");
        jobs.push(took);
        let t = Instant::now();
        update(m, action);
        // As the runner does: what the model let go of is freed on a worker.
        let retired = std::mem::take(&mut m.retired);
        term.draw(|f| view(m, f)).expect("draw");
        take.push(t.elapsed());
        std::thread::spawn(move || drop(retired));
    }
    (jobs, during, take, keys)
}

/// The 1 M-path figures; whether a frame or a keypress is over budget.
fn bench_1m() -> bool {
    let size = (200, 60);
    let t = Instant::now();
    let image = million_image();
    println!(
        "1m: built a {}-path image in {:.0} ms",
        image.layers.iter().map(|l| l.entries.len()).sum::<usize>(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let loaded = Loaded::new(image);
    println!(
        "1m: analysed + arranged a {}-node tree in {:.0} ms",
        loaded.tree.len() - 1,
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut m = Model::new(
        vec!["big:million".into()],
        KeyMap::default(),
        Instant::now(),
    );
    update(&mut m, Action::Resize(size.0, size.1));
    let t = Instant::now();
    update(
        &mut m,
        Action::Loaded {
            slot: 0,
            result: Ok(Box::new(loaded)),
        },
    );
    key(&mut m, KeyCode::Char('1'));
    println!(
        "1m: taking the loaded image on the UI thread: {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).expect("test backend");
    let t = Instant::now();
    term.draw(|f| view(&m, f)).expect("draw");
    println!(
        "1m: first tree frame {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut worst = Duration::ZERO;
    // The cursor starts on big/ (100 k children, collapsed).
    worst = worst.max(report_pairs(
        "1m expand/collapse big/ (100k children)",
        presses(&mut m, &mut term, &[KeyCode::Right, KeyCode::Left], 40),
    ));
    key(&mut m, KeyCode::Right);
    worst = worst.max(report_pairs(
        "1m down inside big/",
        presses(&mut m, &mut term, &[KeyCode::Down], 400),
    ));
    worst = worst.max(report_pairs(
        "1m page down inside big/",
        presses(&mut m, &mut term, &[KeyCode::PageDown], 400),
    ));
    // The whole tree open: a filter matching every path.
    let t = Instant::now();
    key(&mut m, KeyCode::Char('/'));
    key(&mut m, KeyCode::Char('/'));
    key(&mut m, KeyCode::Enter);
    println!(
        "1m: filter + flatten to {} rows in {:.1} ms",
        m.pane().map_or(0, |p| p.rows.len()),
        t.elapsed().as_secs_f64() * 1e3
    );
    worst = worst.max(report("1m fully open view()", frames(&mut m, 400)));
    worst = worst.max(report_pairs(
        "1m fully open down",
        presses(&mut m, &mut term, &[KeyCode::Down], 400),
    ));
    key(&mut m, KeyCode::Esc);

    // Layer steps: the layer list, from the top down and back.
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    for (mode, ctrl) in [("up to", 'a'), ("only", 'l')] {
        update(
            &mut m,
            Action::Key(KeyEvent::new(KeyCode::Char(ctrl), KeyModifiers::CONTROL)),
        );
        // Settle the mode switch's own build.
        let _ = walk_layers(&mut m, &mut term, KeyCode::Home, 1);
        let (mut jobs, mut during, mut take, mut keys) = (vec![], vec![], vec![], vec![]);
        for code in [KeyCode::Down, KeyCode::Up] {
            let (j, d, t, k) = walk_layers(&mut m, &mut term, code, 9);
            jobs.extend(j);
            during.extend(d);
            take.extend(t);
            keys.extend(k);
        }
        report_per(&format!("1m layer step ({mode}): job"), "step", jobs);
        worst = worst.max(report_per(
            &format!("1m layer step ({mode}): keypress"),
            "key",
            keys,
        ));
        worst = worst.max(report(
            &format!("1m layer step ({mode}): frame while the job runs"),
            during,
        ));
        worst = worst.max(report_per(
            &format!("1m layer step ({mode}): taking the result + a frame"),
            "step",
            take,
        ));
    }
    worst > Duration::from_millis(16)
}
