//! The fuzz targets' seed corpus and deterministic mutations of it, run through the targets'
//! bodies (`ecpa_doctor::fuzzing`) on every `cargo test`, without libFuzzer: a parser that
//! starts panicking (or breaks a property a target asserts) on a seed, or on a near miss of
//! one, fails the suite instead of waiting for the next `scripts/fuzz` campaign.

use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use ecpa_doctor::fuzzing::TARGETS;

/// Mutated inputs per target: enough to reach the length, cap and split edge cases around
/// every seed, few enough that the whole file runs in a few seconds of a debug build.
const MUTATIONS: usize = 3000;
/// Longer inputs only repeat what the 14 KiB ELF seeds already cover, slower.
const MAX_LEN: usize = 32 * 1024;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The seeds of one target, sorted by file name so every run sees the same order.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn names_in(dir: &Path, keep: impl Fn(&Path) -> Option<String>) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| keep(&e.unwrap().path()))
        .collect()
}

/// Runs one input; on a panic, keeps the input where the report says and describes it.
fn run_one(target: &str, run: fn(&[u8]), origin: &str, data: &[u8]) -> Result<(), String> {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| run(data)));
    let Err(payload) = outcome else {
        return Ok(());
    };
    let why = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz_corpus")
        .join(target)
        .join(origin.replace([' ', '/'], "-"));
    std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
    std::fs::write(&kept, data).unwrap();
    Err(format!(
        "{target} panicked on {origin} ({} bytes, kept in {}; replay with \
         `RUSTC_BOOTSTRAP=1 cargo fuzz run {target} <file>` from the repo root): {why}",
        data.len(),
        kept.display()
    ))
}

#[test]
fn every_corpus_directory_has_a_target_and_every_target_a_corpus() {
    let functions: BTreeSet<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        functions.len(),
        TARGETS.len(),
        "a name twice in fuzzing::TARGETS"
    );

    let corpus_dirs = names_in(&fuzz_dir().join("corpus"), |p| {
        p.is_dir()
            .then(|| p.file_name().unwrap().to_string_lossy().into_owned())
    });
    assert_eq!(
        corpus_dirs, functions,
        "fuzz/corpus/<dir> vs fuzzing::TARGETS"
    );

    let target_files = names_in(&fuzz_dir().join("fuzz_targets"), |p| {
        (p.extension()? == "rs").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
    });
    assert_eq!(
        target_files, functions,
        "fuzz/fuzz_targets/*.rs vs fuzzing::TARGETS"
    );

    // A `pub fn x(data: &[u8])` in src/fuzzing.rs left out of TARGETS would never run here.
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/fuzzing.rs"))
            .unwrap();
    let declared: BTreeSet<String> = source
        .lines()
        .filter_map(|l| l.strip_prefix("pub fn ")?.strip_suffix("(data: &[u8]) {"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        declared, functions,
        "pub fns in src/fuzzing.rs vs fuzzing::TARGETS"
    );

    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let bins: BTreeSet<String> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|bin| {
            let line = bin.lines().find(|l| l.trim_start().starts_with("name"))?;
            Some(line.split('"').nth(1)?.to_string())
        })
        .collect();
    assert_eq!(
        bins, functions,
        "[[bin]] names in fuzz/Cargo.toml vs fuzzing::TARGETS"
    );

    for name in &functions {
        let file = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains(&format!("ecpa_doctor::fuzzing::{name}(data)")),
            "{} does not call ecpa_doctor::fuzzing::{name}",
            file.display()
        );
        assert!(!corpus(name).is_empty(), "fuzz/corpus/{name}/ has no seeds");
    }
}

#[test]
fn every_seed_passes_its_target() {
    let mut failures = Vec::new();
    let mut seeds = 0;
    for &(target, run) in TARGETS {
        for (name, data) in corpus(target) {
            seeds += 1;
            if let Err(e) = run_one(target, run, &format!("seed {name}"), &data) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The 9 directories held 59 seeds when this test was written; fewer means some went missing.
    assert!(seeds >= 59, "only {seeds} seeds under fuzz/corpus/");
}

#[test]
fn mutations_of_the_seeds_pass_their_targets() {
    // One thread per target: the targets are independent and a debug build is slow.
    let failures: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = TARGETS
            .iter()
            .map(|&(target, run)| s.spawn(move || mutate_and_run(target, run)))
            .collect();
        runs.into_iter()
            .filter_map(|h| h.join().unwrap().err())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Stops at a target's first failing input: the rest would mostly be the same bug.
fn mutate_and_run(target: &str, run: fn(&[u8])) -> Result<(), String> {
    let seeds = corpus(target);
    let mut rng = Rng::for_target(target);
    for i in 0..MUTATIONS {
        let input = mutant(&mut rng, &seeds);
        run_one(target, run, &format!("mutation-{i}"), &input)?;
    }
    Ok(())
}

/// xorshift64*: deterministic, no crate, plenty for choosing mutations.
struct Rng(u64);

impl Rng {
    /// Seeded by the target's name (FNV-1a), so each target walks its own sequence and
    /// adding a target changes no other target's inputs.
    fn for_target(name: &str) -> Rng {
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        Rng(hash | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (0 when n is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// Bytes parsers tend to treat specially: bounds, status words (61xx, 6Cxx, 90 00), line
/// ends, separators, digits, UTF-8 lead bytes, WebSocket opcodes and length escapes.
const SPECIAL: &[u8] = &[
    0x00, 0x01, 0x7f, 0x80, 0xff, 0x61, 0x6c, 0x90, b'\r', b'\n', b':', b',', b' ', b'0', b'9',
    0xe4, 0xef, 0x81, 0x88, 0x89, 0x8a, 126, 127,
];

/// A seed (now and then nothing, or random bytes) with one to four mutations applied.
fn mutant(rng: &mut Rng, seeds: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut data = match rng.below(32) {
        0 => Vec::new(),
        1 => (0..rng.below(256)).map(|_| rng.byte()).collect(),
        _ => seeds[rng.below(seeds.len())].1.clone(),
    };
    for _ in 0..=rng.below(4) {
        mutate(rng, &mut data, seeds);
    }
    data.truncate(MAX_LEN);
    data
}

fn mutate(rng: &mut Rng, data: &mut Vec<u8>, seeds: &[(String, Vec<u8>)]) {
    let len = data.len();
    match rng.below(8) {
        // Flip one bit.
        0 if len > 0 => {
            let at = rng.below(len);
            data[at] ^= 1 << rng.below(8);
        }
        // One byte set to a value parsers treat specially.
        1 if len > 0 => {
            let at = rng.below(len);
            data[at] = SPECIAL[rng.below(SPECIAL.len())];
        }
        // One byte set to anything.
        2 if len > 0 => {
            let at = rng.below(len);
            data[at] = rng.byte();
        }
        // Cut short, as a read that ended early.
        3 => data.truncate(rng.below(len + 1)),
        // A stretch repeated in place, as a resent frame or a doubled header.
        4 if len > 0 => {
            let start = rng.below(len);
            let end = start + 1 + rng.below(len - start);
            let copy = data[start..end].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, copy);
        }
        // A stretch removed.
        5 if len > 0 => {
            let start = rng.below(len);
            let end = start + 1 + rng.below((len - start).min(64));
            data.drain(start..end);
        }
        // A few bytes inserted.
        6 => {
            let at = rng.below(len + 1);
            let extra: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.byte()).collect();
            data.splice(at..at, extra);
        }
        // This input's head joined to another seed's tail.
        7 => {
            let other = &seeds[rng.below(seeds.len())].1;
            data.truncate(rng.below(len + 1));
            data.extend_from_slice(&other[rng.below(other.len() + 1)..]);
        }
        // The chosen mutation needs bytes and there are none: grow instead.
        _ => data.push(SPECIAL[rng.below(SPECIAL.len())]),
    }
}

#[test]
fn mutations_are_the_same_on_every_run() {
    let seeds = corpus("card_record");
    let first: Vec<_> = {
        let mut rng = Rng::for_target("card_record");
        (0..50).map(|_| mutant(&mut rng, &seeds)).collect()
    };
    let mut rng = Rng::for_target("card_record");
    let again: Vec<_> = (0..50).map(|_| mutant(&mut rng, &seeds)).collect();
    assert_eq!(first, again);
    // And they are mutations: most differ from every seed.
    let changed = first
        .iter()
        .filter(|m| !seeds.iter().any(|(_, s)| s == *m))
        .count();
    assert!(
        changed >= 40,
        "only {changed} of 50 mutants differ from the seeds"
    );
}
