"""Every limit and default of the pipeline, defined once.

The CLI, the Python API and `configs/default.toml` all take their defaults from here; the config model
(`pipeline.config`) is built from these names, so a value changed here changes everywhere.
Units are in the names: `_S` seconds, `_HZ` hertz, `_DB` decibels, `_CHARS` characters.
A choice is a Literal type (`Engine`) with its tuple of values (`ENGINES`), which the config model and the
CLI's choices are built from.
"""

from typing import Literal, get_args

# --- engines -------------------------------------------------------------------------------------
Engine = Literal["auto", "hibari", "soprano"]
ENGINE: Engine = "auto"  # auto | hibari | soprano
ENGINES: tuple[Engine, ...] = get_args(Engine)

HIBARI_SAMPLE_RATE_HZ = 24_000
HIBARI_VOICE = "heart"
HIBARI_SPEED = 1.0  # 0.5 .. 2.0, 1.0 = the teacher's pace
HIBARI_THREADS = 1  # onnxruntime intra-op threads per engine instance
HIBARI_CHARS_PER_S = 15.0  # speaking-rate estimate on normalized text at speed 1.0

SOPRANO_SAMPLE_RATE_HZ = 32_000
SOPRANO_REPO_ID = "ekwek/Soprano-1.1-80M"
SOPRANO_CHARS_PER_S = 14.0
SOPRANO_TEMPERATURE = 0.3
SOPRANO_TOP_P = 0.95
SOPRANO_TOP_K = 50  # the reference's transformers path applies transformers' default top-k 50 (0: off)
SOPRANO_REPETITION_PENALTY = 1.2
SOPRANO_MAX_NEW_TOKENS = 512
SopranoBackend = Literal["auto", "torch", "lmdeploy"]
SOPRANO_BACKEND: SopranoBackend = "auto"  # auto | torch | lmdeploy
SOPRANO_BACKENDS: tuple[SopranoBackend, ...] = get_args(SopranoBackend)
SOPRANO_DECODER_DTYPE = (
    "auto"  # auto (bf16 where native, else int8 on AVX2 CPUs) | float32 | bfloat16 | int8 | fp16w | float16
)
SOPRANO_MEMORY_FRACTION = 0.5  # share of free RAM (CPU) or VRAM (CUDA) the batch planner may fill
SOPRANO_KV_CACHE_FRACTION = 0.8  # lmdeploy: share of free VRAM for TurboMind's KV cache
SOPRANO_HOP = 512  # decoder ISTFT hop (n_fft comes from the checkpoint: 2048)
SOPRANO_UPSCALE = 4  # decoder frames per LM token: a token is 4 x 512 = 2048 samples
SOPRANO_TOKENS_PER_S = SOPRANO_SAMPLE_RATE_HZ / (SOPRANO_HOP * SOPRANO_UPSCALE)  # 15.625
SOPRANO_MAX_MAGNITUDE = 100.0  # decoder spectrum magnitude clip (exp(log-magnitude) <= 100)
SOPRANO_LENGTH_CAP_RATIO = 2.5  # token cap = this x the text's expected tokens, when no max_seconds
SOPRANO_MIN_CAP_TOKENS = 16  # never cap a segment below this many tokens (about 1 s)
SOPRANO_HALLUCINATION_DIFF = 300 / 512  # mean |h[t+1] - h[t]| below this: "near-identical" states
SOPRANO_HALLUCINATION_RUN = 16  # a run longer than this is a hallucination (signal 0.5)
SOPRANO_TOPK_FAST = 64  # sampling looks for the nucleus in the top k first
SOPRANO_TOPP_BINS = 1024  # ... else bins log-probabilities (the nucleus ends at a whole bin)
SOPRANO_TOPP_BINS_PER_NAT = 16
SOPRANO_CPU_MAX_SLOTS = 64  # most sequences decoded together on a CPU
SOPRANO_CUDA_MAX_SLOTS = 1024  # ... on a GPU
SOPRANO_CPU_DECODER_FRAMES = 8192  # most padded frames in one decoder batch on a CPU
SOPRANO_CUDA_DECODER_FRAMES = 131072

BATCH_SIZE = 0  # segments handed to an engine at once; 0 = the engine's own default:
HIBARI_BATCH_SIZE = 16  #   hibari runs one sequence at a time, a batch only groups the work
SOPRANO_BATCH_SIZE = 256  #   Soprano's continuous batching fills its slots from a large batch

# --- text ----------------------------------------------------------------------------------------
LANGUAGE = "en"
SEGMENT_MIN_S = 2.0  # shorter sentences are merged within a paragraph
SEGMENT_MAX_S = 15.0  # longer sentences are split at clause boundaries
SEGMENT_MERGE_MAX_S = 18.0  # a short sentence may be merged up to this long rather than stand alone
INCLUDE_FRONT_MATTER = False
READ_NOTES = False  # read note bodies at the end of their chapter

# --- pauses (seconds of silence after a segment, by what follows it) --------------------------------
PAUSE_SENTENCE_S = 0.35
PAUSE_LINE_S = 0.25  # verse and <br/> line breaks
PAUSE_PARAGRAPH_S = 0.8
PAUSE_SECTION_S = 1.6
PAUSE_TITLE_S = 1.2  # after the chapter title
CHAPTER_HEAD_S = 0.75  # silence at the head of every chapter file (ACX: 0.5 - 1 s)
CHAPTER_TAIL_S = 2.5  # silence at the tail of every chapter file (ACX: 1 - 5 s)
SILENCE_THRESHOLD_DB = -50.0  # a frame quieter than this is silence when trimming segment edges
TRIM_KEEP_S = 0.02  # keep this much of the edge when trimming, so onsets are not clipped

# --- output --------------------------------------------------------------------------------------
SAMPLE_RATE_HZ = 44_100
CHANNELS = 1
Format = Literal["mp3", "m4b", "opus", "flac", "wav", "epub"]  # epub: the read-along book (MP3 inside)
FORMATS: tuple[Format, ...] = ("mp3",)
FORMAT_CHOICES: tuple[Format, ...] = get_args(Format)
MP3_BITRATE = "192k"
AAC_BITRATE = "128k"
OPUS_BITRATE = "48k"
LoudnessPreset = Literal["acx", "ebu"]
LOUDNESS_PRESET: LoudnessPreset = "acx"  # acx (RMS) | ebu (LUFS)
LOUDNESS_PRESETS: tuple[LoudnessPreset, ...] = get_args(LoudnessPreset)
TARGET_RMS_DB = -20.0  # ACX: -23 .. -18 dB RMS
TARGET_LUFS = -19.0  # EBU R128 preset for podcasts and streaming (mono)
PEAK_CEILING_DB = -3.0
PAUSE_FLOOR_DB = -60.0  # ACX noise floor: pauses must be quieter than this
SILENCE_FLOOR_DB = -150.0  # digital silence is reported as this level (JSON has no -inf)
OPUS_RATE_HZ = 48_000  # Opus runs at 48 kHz whatever the book's rate
ENCODE_TOLERANCE_DB = 0.5  # an encoded file this close to the loudness target needs no second pass
MAX_ENCODE_PASSES = 3  # encodes of one file while it misses the target
Layout = Literal["flat", "audiobookshelf"]
LAYOUT: Layout = "flat"  # flat: everything in --out | audiobookshelf: Author/[Series/]Title/ book folders
LAYOUTS: tuple[Layout, ...] = get_args(Layout)
SUBTITLES = True  # SRT and VTT per chapter, one cue per sentence (or per piece of one)
SUBTITLE_LINE_CHARS = 42  # a subtitle line holds about this many characters (broadcast convention)
SUBTITLE_MAX_LINES = 2  # a cue shows at most two lines; a longer sentence takes several cues

# --- validation ----------------------------------------------------------------------------------
MAX_ATTEMPTS = 3  # renders per segment, the first one included
DURATION_RATIO_MIN = 0.35  # rendered seconds / expected seconds
DURATION_RATIO_MAX = 2.5
DURATION_SLACK_S = 1.0  # within this many seconds of the expected duration always passes
MAX_INTERNAL_SILENCE_S = 2.0
MIN_RMS_DB = -45.0  # quieter than this is "too quiet"
CLIP_FRACTION_MAX = 0.001  # fraction of samples at full scale
MAX_EDGE_SILENCE_S = 1.5  # leading or trailing silence inside one rendered segment
QcCheck = Literal["none", "asr"]
QC: QcCheck = "none"  # none | asr: a speech-recognition round trip per segment (--qc asr)
QC_CHOICES: tuple[QcCheck, ...] = get_args(QcCheck)
ASR_WER_MAX = 0.5  # word error rate above which a segment is re-rendered (--qc asr)
ASR_SAMPLE = 1.0  # fraction of segments the ASR round trip checks (1.0 = every one)
STRICT = False  # --strict: segments still failing at the end make the run exit 4

# --- limits on untrusted input (hostile books) -----------------------------------------------------
EPUB_MAX_TOTAL_BYTES = 256 * 2**20  # everything in the archive, uncompressed
EPUB_MAX_MEMBER_BYTES = 64 * 2**20  # any one file in the archive, uncompressed
EPUB_MAX_MEMBERS = 10_000  # files in the archive
EPUB_MAX_RATIO = 100.0  # uncompressed / compressed size, checked past 8 MB
MAX_SPINE_ITEMS = 5_000
MAX_TOC_ENTRIES = 10_000
MAX_CHAPTER_CHARS = 2_000_000  # War and Peace's longest chapter is under 100,000
MAX_BOOK_CHARS = 20_000_000  # War and Peace is about 3,200,000
INGEST_SECONDS = 120.0  # time budget for reading one book

# --- execution -----------------------------------------------------------------------------------
Executor = Literal["local", "ray"]
EXECUTOR: Executor = "local"  # local | ray
EXECUTORS: tuple[Executor, ...] = get_args(Executor)
RAY_CPUS_PER_ACTOR = 1  # CPU clusters: one engine actor per this many cores
RAY_GPUS_PER_ACTOR = 1.0  # GPU clusters: one engine actor per GPU

# --- segment cache -------------------------------------------------------------------------------
CACHE_ENABLED = True
CACHE_MAX_GB = 20.0  # least recently used entries go past this size
# default folder: RENDER_CACHE_DIR, else $XDG_CACHE_HOME/render/segments, else ~/.cache/render/segments

# --- files ---------------------------------------------------------------------------------------
MANIFEST_NAME = "manifest.json"
REPORT_NAME = "report.json"
TITLE_MAX_CHARS = 80  # longest chapter-title part of a file name
SLUG_MAX_CHARS = 80  # longest <author-title> folder name of a book in a shelf
SHELF_SUMMARY_NAME = "corpus.json"  # a shelf's summary, in its --out
METADATA_NAME = "metadata.json"  # the Audiobookshelf sidecar
CHAPTERS_NAME = "chapters.txt"  # the whole book's chapter list (mp4chaps format)
PARTS_DIR = ".parts"  # AAC chapter streams waiting for the M4B
