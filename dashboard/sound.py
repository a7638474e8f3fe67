"""The wallboard's new-hot-call beep: a short two-tone WAV made in memory (no sound files).

>>> wav = beep_wav()
>>> wav[:4], wav[8:12]
(b'RIFF', b'WAVE')
"""

from __future__ import annotations

import io
import math
import struct
import wave
from functools import lru_cache


@lru_cache(maxsize=4)
def beep_wav(tones: tuple[float, ...] = (880.0, 1320.0), tone_s: float = 0.18,
             rate: int = 16_000, volume: float = 0.5) -> bytes:  # fmt: skip
    """Mono 16-bit PCM: each tone for ``tone_s`` seconds, with short fades against clicks."""
    n = int(rate * tone_s)
    fade = max(1, int(rate * 0.01))
    frames = bytearray()
    for freq in tones:
        for i in range(n):
            envelope = min(1.0, i / fade, (n - 1 - i) / fade)
            sample = volume * envelope * math.sin(2 * math.pi * freq * i / rate)
            frames += struct.pack("<h", int(sample * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return out.getvalue()
