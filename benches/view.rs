//! `view()` cost per frame on a 200k-path tree (TestBackend, 200×60),
//! scrolling through a fully expanded tree. The bar: < 16 ms per frame.
//! Then the cost of a layer step (the tree of the next layer down, built
//! in the background) on a 40-layer, 200k-path image: from scratch versus
//! reusing the previous step's squash.
//!
//! `cargo bench --bench view` (harness = false: plain timing, no extra
//! dependency).

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
    if explorer > budget || compare > budget || overview > budget {
        eprintln!("view() is over the 16 ms frame budget");
        std::process::exit(1);
    }
}
