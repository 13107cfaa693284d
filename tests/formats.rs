//! Decoding of every supported container/codec: a generated WAV is encoded
//! by ffmpeg (the peer, installed by scripts/setup.sh) to FLAC, MP3, Ogg Vorbis,
//! AAC/M4A and AIFF; the engine must decode each at the file's own sample rate with
//! the same length and loudness as the source.

use dsp_wasm::io::decode::{decode_blocks, decode_file, needs_compressed_decoders};
use dsp_wasm::measure::loudness;
use preflight_tests::peers::ffmpeg_convert;
use preflight_tests::scratch_dir;
use preflight_tests::signals::two_tones;
use preflight_tests::wav::{write_wav, WavFormat};

#[test]
fn every_codec_decodes_at_its_own_rate_with_the_same_loudness() {
    let dir = scratch_dir("formats");
    for (rate, channels) in [(44_100u32, 2usize), (48_000, 1)] {
        let src = two_tones(rate, channels, 4.0);
        let wav = dir.join(format!("src-{rate}-{channels}.wav"));
        write_wav(&wav, &src, WavFormat::Int24).unwrap();
        let reference = loudness::measure(&src, |_| {}).integrated_lufs.unwrap();
        let cases: [(&str, &[&str], f64, &str); 6] = [
            ("flac", &["-c:a", "flac"], 0.01, "flac"),
            ("mp3", &["-c:a", "libmp3lame", "-b:a", "192k"], 0.3, "mp3"),
            (
                "ogg",
                &["-c:a", "libvorbis", "-q:a", "6"],
                0.3,
                "ogg_vorbis",
            ),
            ("m4a", &["-c:a", "aac", "-b:a", "192k"], 0.3, "aac"),
            // Uncompressed, but read where the compressed formats are.
            ("aiff", &["-c:a", "pcm_s24be"], 0.01, "aiff"),
            // Raw ADTS stream (read without a byte length, see decode.rs).
            ("aac", &["-c:a", "aac", "-b:a", "192k"], 0.3, "aac"),
        ];
        assert!(!needs_compressed_decoders(&std::fs::read(&wav).unwrap()));
        // The WAV itself, read block by block (the helper Worker's way).
        same_in_blocks(&wav, &decode_file(&wav).unwrap());
        for (ext, args, tol_lu, format) in cases {
            let out = dir.join(format!("enc-{rate}-{channels}.{ext}"));
            ffmpeg_convert(&wav, &out, args);
            let d = decode_file(&out).unwrap_or_else(|e| panic!("{ext}: {e}"));
            assert_eq!(d.format.format, format, "{ext}");
            assert_eq!(d.audio.sample_rate, rate, "{ext}");
            assert_eq!(d.audio.num_channels(), channels, "{ext}");
            // Lossy codecs add priming/padding frames: within 0.1 s.
            assert!(
                (d.audio.duration_s() - 4.0).abs() < 0.1,
                "{ext}: {} s",
                d.audio.duration_s()
            );
            same_in_blocks(&out, &d);
            let head = std::fs::read(&out).unwrap();
            let compressed = !matches!(ext, "flac");
            assert_eq!(needs_compressed_decoders(&head), compressed, "{ext}");
            let got = loudness::measure(&d.audio, |_| {}).integrated_lufs.unwrap();
            assert!(
                (got - reference).abs() <= tol_lu,
                "{ext} at {rate} Hz: {got:.2} vs {reference:.2} LUFS"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A loud master's lossy copy overshoots full scale, and the decoded samples
/// past it are what the file holds: MP3 and Ogg Vorbis made by ffmpeg from a
/// 32-bit float WAV whose peaks stand at +2 dBFS decode, by Preflight, to the
/// peak ffmpeg's own decoders give in 32-bit float (within 0.05 dB), over
/// full scale. symphonia 0.5.5 clamped both codecs' samples to [-1, 1]: the
/// peak read exactly 0.0 dBFS, the flat tops counted as clipped runs
/// (`vendor/symphonia-bundle-mp3`, `vendor/symphonia-codec-vorbis`).
#[test]
fn a_lossy_overshoot_past_full_scale_is_decoded_as_ffmpeg_decodes_it() {
    let dir = scratch_dir("overshoot");
    let mut src = two_tones(48_000, 2, 4.0);
    let peak = |a: &dsp_wasm::audio::AudioBuffer| {
        a.channels
            .iter()
            .flat_map(|c| c.iter())
            .fold(0.0f32, |m, &x| m.max(x.abs()))
    };
    let g = 10f32.powf(2.0 / 20.0) / peak(&src);
    for c in &mut src.channels {
        for x in c.iter_mut() {
            *x *= g;
        }
    }
    let wav = dir.join("hot.wav");
    write_wav(&wav, &src, WavFormat::Float32).unwrap();
    let db = |x: f32| 20.0 * f64::from(x).log10();
    for (ext, args) in [
        ("mp3", &["-c:a", "libmp3lame", "-b:a", "192k"][..]),
        ("ogg", &["-c:a", "libvorbis", "-q:a", "6"][..]),
    ] {
        let lossy = dir.join(format!("hot.{ext}"));
        ffmpeg_convert(&wav, &lossy, args);
        let ours = peak(&decode_file(&lossy).unwrap().audio);
        let float_wav = dir.join(format!("hot-{ext}-decoded.wav"));
        ffmpeg_convert(&lossy, &float_wav, &["-c:a", "pcm_f32le"]);
        let theirs = peak(&decode_file(&float_wav).unwrap().audio);
        println!(
            "{ext}: peak {:.2} dBFS, ffmpeg's {:.2} dBFS",
            db(ours),
            db(theirs)
        );
        assert!(
            theirs > 1.0,
            "{ext}: ffmpeg decoded no overshoot ({:.2} dBFS)",
            db(theirs)
        );
        assert!(
            (db(ours) - db(theirs)).abs() < 0.05,
            "{ext}: peak {:.2} dBFS, ffmpeg's {:.2} dBFS",
            db(ours),
            db(theirs)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// An AAC file at 96 kHz (ffmpeg's encoder, in MP4) is read at 96 kHz with
/// its source's loudness. The `mp4a` box holds the rate as a 16.16 number,
/// so it reads 0 there; only the AudioSpecificConfig has it. Read from the
/// box, the file was refused: "the sample rate 0 Hz is outside the
/// supported 8–192 kHz".
#[test]
fn a_96_khz_aac_file_is_read_at_its_rate() {
    let dir = scratch_dir("aac-96k");
    let src = two_tones(96_000, 2, 3.0);
    let wav = dir.join("src.wav");
    write_wav(&wav, &src, WavFormat::Int24).unwrap();
    let m4a = dir.join("src.m4a");
    ffmpeg_convert(&wav, &m4a, &["-c:a", "aac", "-b:a", "256k"]);
    let d = decode_file(&m4a).unwrap();
    assert_eq!(d.audio.sample_rate, 96_000);
    assert_eq!(d.format.format, "aac");
    let reference = loudness::measure(&src, |_| {}).integrated_lufs.unwrap();
    let got = loudness::measure(&d.audio, |_| {}).integrated_lufs.unwrap();
    assert!(
        (got - reference).abs() < 0.3,
        "{got:.2} LUFS, source {reference:.2}"
    );
    assert!(
        (d.audio.duration_s() - 3.0).abs() < 0.05,
        "{} s",
        d.audio.duration_s()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A mix clipped on its way out reads `clipping` from its MP3 and Ogg
/// Vorbis copies, and the same mix brought to the same peak by a
/// look-ahead limiter reads none, in those and in AAC. The truth is made
/// here: the first is the mix 6 dB over full scale cut at ±1, the second
/// the same mix limited to −0.1 dBFS (no sample cut). A codec's ripple
/// leaves no clipped run flat to the sample, so the copies are read for
/// flattened tops (`measure::clipped_tops`); their WAV, read for flat runs,
/// says the same. (The rule was fitted on MP3 and Ogg; ffmpeg's AAC
/// spreads this mix's clip level to a ledge of 1.3, under the 1.5 read,
/// and only heavier clipping is read there: `tests/bench/lossy_clipping.py`.)
#[test]
fn a_clipped_mixs_lossy_copies_read_its_clipping_and_a_limited_ones_do_not() {
    use dsp_wasm::measure::AnalysisOptions;
    use dsp_wasm::report::{analyze_bytes, Level};
    use preflight_tests::mixes::{brickwall, gain_db, mix, peak_db, Style};
    let dir = scratch_dir("lossy-clipping");
    let mut hot = mix(Style::SynthPop, 48_000, 20.0, 7);
    let to_peak = 6.0 - peak_db(&hot);
    gain_db(&mut hot, to_peak);
    let mut clipped = hot.clone();
    for c in &mut clipped.channels {
        for x in c.iter_mut() {
            *x = x.clamp(-1.0, 1.0);
        }
    }
    let mut limited = hot;
    brickwall(&mut limited, -0.1);
    let clipping = |path: &std::path::Path| {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let a = analyze_bytes(bytes, &name, &AnalysisOptions::default(), |_, _| {}).unwrap();
        a.report
            .risks
            .iter()
            .find(|r| r.id == "clipping")
            .map(|r| (r.level, r.severity))
    };
    for (what, audio, clipped) in [("clipped", &clipped, true), ("limited", &limited, false)] {
        let wav = dir.join(format!("{what}.wav"));
        write_wav(&wav, audio, WavFormat::Int24).unwrap();
        let mut files = vec![wav.clone()];
        for (ext, args) in [
            ("mp3", &["-c:a", "libmp3lame", "-b:a", "192k"][..]),
            ("ogg", &["-c:a", "libvorbis", "-q:a", "5"][..]),
            ("m4a", &["-c:a", "aac", "-b:a", "192k"][..]),
        ] {
            if ext == "m4a" && clipped {
                continue;
            }
            let lossy = dir.join(format!("{what}.{ext}"));
            ffmpeg_convert(&wav, &lossy, args);
            files.push(lossy);
        }
        for f in &files {
            let got = clipping(f);
            println!("{}: {got:?}", f.display());
            let read = got.is_some_and(|(level, _)| level >= Level::Minor);
            assert_eq!(read, clipped, "{}: clipping {got:?}", f.display());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file in a format Preflight does not read is told by its name, not as
/// "no known audio format" or symphonia's "unsupported feature (core
/// (codec):unsupported codec)": ffmpeg writes each (its own encoders and
/// muxers), and the message names what the file is or holds.
#[test]
fn a_format_preflight_does_not_read_is_named() {
    let dir = scratch_dir("unread-formats");
    let wav = dir.join("src.wav");
    write_wav(&wav, &two_tones(48_000, 2, 1.0), WavFormat::Int16).unwrap();
    let cases: [(&str, &[&str], &str); 8] = [
        ("opus", &["-c:a", "libopus"], "Opus audio"),
        ("webm", &["-c:a", "libopus"], "Matroska or WebM"),
        ("m4a", &["-c:a", "alac"], "Apple Lossless (ALAC)"),
        ("mp2", &["-c:a", "mp2"], "MPEG layer I/II"),
        ("wv", &["-c:a", "wavpack"], "WavPack"),
        ("w64", &["-c:a", "pcm_s16le"], "Wave64 (W64)"),
        ("caf", &["-c:a", "pcm_s16le"], "Core Audio (CAF)"),
        ("wma", &["-c:a", "wmav2"], "Windows Media"),
    ];
    for (ext, args, named) in cases {
        let out = dir.join(format!("unread.{ext}"));
        ffmpeg_convert(&wav, &out, args);
        let said = match decode_file(&out) {
            Ok(d) => panic!("{ext}: read as {}", d.format.format),
            Err(e) => e.to_string(),
        };
        assert!(said.contains(named), "{ext}: {said}");
        assert!(
            said.starts_with("not a supported audio file"),
            "{ext}: {said}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A WAV written to a pipe has no sizes in its header: ffmpeg leaves its
/// `data` chunk's size at 0xFFFFFFFF, which read as a length is hours long
/// (a 4-second file was refused as "6:45:48 long"). It is read to the end of
/// the file, as ffmpeg reads it: the same samples as the same audio written
/// to a file, where ffmpeg fills in the sizes — for the formats read
/// directly (16/24-bit, float) and those symphonia reads (8-bit, A-law).
#[test]
fn a_wav_streamed_to_a_pipe_is_read_to_its_end() {
    use preflight_tests::peers::ffmpeg_to_pipe;
    let dir = scratch_dir("piped-wav");
    let src = two_tones(44_100, 2, 3.0);
    let wav = dir.join("src.wav");
    write_wav(&wav, &src, WavFormat::Int24).unwrap();
    for codec in ["pcm_s16le", "pcm_s24le", "pcm_f32le", "pcm_u8", "pcm_alaw"] {
        let piped = dir.join(format!("piped-{codec}.wav"));
        let filed = dir.join(format!("filed-{codec}.wav"));
        ffmpeg_to_pipe(&wav, &piped, &["-c:a", codec]);
        ffmpeg_convert(&wav, &filed, &["-c:a", codec]);
        let bytes = std::fs::read(&piped).unwrap();
        let data = bytes.windows(4).position(|w| w == b"data").unwrap();
        assert_eq!(
            bytes[data + 4..data + 8],
            [0xFF; 4],
            "{codec}: ffmpeg wrote a size into the piped header"
        );
        let got = decode_file(&piped).unwrap_or_else(|e| panic!("{codec}: {e}"));
        let want = decode_file(&filed).unwrap();
        assert_eq!(got.audio.num_channels(), 2, "{codec}");
        assert_eq!(got.audio.frames(), src.frames(), "{codec}");
        assert!(
            got.audio.channels == want.audio.channels,
            "{codec}: samples differ"
        );
        same_in_blocks(&piped, &want);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The 64-bit WAV — RF64 (EBU Tech 3306), written by ffmpeg with `-rf64
/// always`, and BW64 (ITU-R BS.2088, the same layout under another id) —
/// gives its sizes in a `ds64` chunk: read as the same samples as the same
/// audio in a plain WAV (both written by ffmpeg). Before, "no known audio
/// format was recognised".
#[test]
fn an_rf64_or_bw64_wav_reads_as_the_plain_wav() {
    let dir = scratch_dir("rf64");
    let src = two_tones(48_000, 2, 3.0);
    let wav = dir.join("src.wav");
    write_wav(&wav, &src, WavFormat::Int24).unwrap();
    for codec in ["pcm_s16le", "pcm_s24le", "pcm_f32le"] {
        let rf64 = dir.join(format!("rf64-{codec}.wav"));
        let filed = dir.join(format!("filed-{codec}.wav"));
        ffmpeg_convert(&wav, &rf64, &["-c:a", codec, "-rf64", "always"]);
        ffmpeg_convert(&wav, &filed, &["-c:a", codec]);
        let mut bytes = std::fs::read(&rf64).unwrap();
        assert_eq!(&bytes[0..4], b"RF64", "{codec}: ffmpeg wrote no RF64");
        let want = decode_file(&filed).unwrap();
        let got = decode_file(&rf64).unwrap_or_else(|e| panic!("RF64 {codec}: {e}"));
        assert_eq!(got.audio.frames(), src.frames(), "RF64 {codec}");
        assert!(
            got.audio.channels == want.audio.channels,
            "RF64 {codec}: samples differ"
        );
        assert!(
            !needs_compressed_decoders(&bytes),
            "RF64 {codec}: the engine reads it"
        );
        same_in_blocks(&rf64, &want);
        bytes[0..4].copy_from_slice(b"BW64");
        let bw64 = dir.join(format!("bw64-{codec}.wav"));
        std::fs::write(&bw64, &bytes).unwrap();
        let got = decode_file(&bw64).unwrap_or_else(|e| panic!("BW64 {codec}: {e}"));
        assert!(
            got.audio.channels == want.audio.channels,
            "BW64 {codec}: samples differ"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The decoder Worker's (and the helper's) way of reading `path` (`decode_blocks`, a few
/// thousand frames at a time) gives, joined, exactly what `decode_file` gave.
fn same_in_blocks(path: &std::path::Path, whole: &dsp_wasm::io::decode::Decoded) {
    let file = std::fs::File::open(path).unwrap();
    let len = file.metadata().unwrap().len();
    let name = path.file_name().and_then(|n| n.to_str());
    let mut joined: Vec<Vec<f32>> = Vec::new();
    let mut blocks = 0;
    let info = decode_blocks(file, len, name, 10_007, &mut |block, facts| {
        assert_eq!(
            facts.sample_rate,
            whole.audio.sample_rate,
            "{}",
            path.display()
        );
        joined.resize_with(block.len(), Vec::new);
        for (j, b) in joined.iter_mut().zip(block) {
            j.extend_from_slice(b);
        }
        blocks += 1;
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(blocks > 5, "{}: {blocks} blocks", path.display());
    assert_eq!(joined, whole.audio.channels, "{}", path.display());
    assert_eq!(info.frames, whole.audio.frames());
    assert_eq!(info.channels, whole.audio.num_channels());
    assert_eq!(info.sample_rate, whole.audio.sample_rate);
    assert_eq!(info.format, whole.format);
    assert_eq!(info.skipped_packets, whole.skipped_packets);
    assert_eq!(info.non_finite_samples, whole.non_finite_samples);
}

/// A reader that counts the bytes asked of it.
struct Counting {
    inner: std::io::Cursor<Vec<u8>>,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl std::io::Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl std::io::Seek for Counting {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl dsp_wasm::io::decode::MediaSource for Counting {
    fn is_seekable(&self) -> bool {
        true
    }
    fn byte_len(&self) -> Option<u64> {
        Some(self.inner.get_ref().len() as u64)
    }
}

/// A compressed file too long for Preflight is refused from what its first
/// frames tell, or as soon as the decoded length passes the limit — not
/// after the whole file was read: a 4-hour MP3 (a 10-minute encode
/// repeated; 8 kHz mono, 8 kb/s) is refused having read at most a tenth of
/// its bytes, counted by a reader that tallies them. `decode_file`, which
/// the command line uses, reads the same way (before, it read the whole file
/// into memory first: 14 MB here, a whole album for a long set).
#[test]
fn a_compressed_file_too_long_is_refused_before_it_is_read() {
    use dsp_wasm::error::Error;
    use dsp_wasm::io::decode::decode_source;
    let dir = scratch_dir("too-long-mp3");
    let part = dir.join("part.mp3");
    let args = [
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=8000:duration=600",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "8k",
        "-write_xing",
        "0",
    ];
    let mut args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    args.push(part.as_os_str());
    preflight_tests::peers::ffmpeg(&args);
    let bytes = std::fs::read(&part).unwrap().repeat(24);
    let whole = dir.join("four-hours.mp3");
    std::fs::write(&whole, &bytes).unwrap();
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let source = Counting {
        inner: std::io::Cursor::new(bytes.clone()),
        read: read.clone(),
    };
    let r = decode_source(source, bytes.len() as u64, Some("four-hours.mp3"));
    let n = read.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        matches!(r, Err(Error::TooLong { .. })),
        "{:?}",
        r.map(|d| d.audio.duration_s())
    );
    assert!(
        n <= bytes.len() as u64 / 10,
        "read {n} of {} bytes before refusing",
        bytes.len()
    );
    // The same through the file: bytes read by this thread (Linux's
    // per-thread I/O count; decoding runs on the calling thread).
    let before = thread_bytes_read();
    assert!(matches!(decode_file(&whole), Err(Error::TooLong { .. })));
    let n = thread_bytes_read() - before;
    assert!(
        n <= bytes.len() as u64 / 10,
        "decode_file read {n} of {} bytes before refusing",
        bytes.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bytes this thread has read with `read` calls (`rchar` of
/// `/proc/thread-self/io`; the reads of the file itself are among them).
fn thread_bytes_read() -> u64 {
    let io = std::fs::read_to_string("/proc/thread-self/io").expect("/proc/thread-self/io");
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("rchar")
}
