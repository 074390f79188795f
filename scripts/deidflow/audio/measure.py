"""What the anonymization did, measured: the distance between the LPC spectral envelopes of input and output (the
formant pattern speaker recognition relies on) and the formant frequencies of a frame."""

from __future__ import annotations

import numpy as np

from .mcadams import frame_signal, lpc, poles

ENVELOPE_BINS = 257


def _envelopes(x: np.ndarray, sr: int, order: int, win: int, shift: int) -> tuple[np.ndarray, np.ndarray]:
    frames, _ = frame_signal(np.asarray(x, dtype=np.float64), win, shift)
    frames = frames * np.hamming(win)
    energy = (frames ** 2).sum(axis=1)
    a = lpc(frames, order)
    response = np.abs(np.fft.rfft(a, 2 * (ENVELOPE_BINS - 1), axis=1))
    return -20 * np.log10(np.maximum(response, 1e-12)), energy


def envelope_distance(x: np.ndarray, y: np.ndarray, sr: int, *, order: int = 20, floor_db: float = 40.0) -> float:
    """Root-mean-square difference in dB between the gain-normalised LPC envelopes of two equally long mono signals,
    over the frames within `floor_db` of the loudest (silence carries no voice). 0 for identical envelopes."""
    win, shift = int(0.025 * sr), int(0.010 * sr)
    ex, energy = _envelopes(x, sr, order, win, shift)
    ey, _ = _envelopes(y, sr, order, win, shift)
    loud = energy >= energy.max() * 10 ** (-floor_db / 10) if energy.max() > 0 else np.zeros(len(energy), bool)
    if not loud.any():
        return 0.0
    ex, ey = ex[loud], ey[loud]
    ex = ex - ex.mean(axis=1, keepdims=True)
    ey = ey - ey.mean(axis=1, keepdims=True)
    return float(np.sqrt(np.mean((ex - ey) ** 2)))


def formants(x: np.ndarray, sr: int, *, order: int = 12, at: float = 0.5, length_ms: float = 30.0) -> np.ndarray:
    """Formant frequencies (Hz, ascending) of the frame at fraction `at` of the signal, from the LPC poles."""
    n = int(length_ms * 0.001 * sr)
    start = max(0, min(len(x) - n, int(at * len(x)) - n // 2))
    frame = np.asarray(x[start:start + n], dtype=np.float64) * np.hamming(n)
    roots = poles(lpc(frame[None, :], order))[0]
    roots = roots[(roots.imag > 0) & (np.abs(roots) > 0.7)]
    return np.sort(np.angle(roots) * sr / (2 * np.pi))
